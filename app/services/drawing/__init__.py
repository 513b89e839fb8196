"""Drawing with Pillow: where the cast stands, the lettering of balloons and captions, pages and fonts."""
