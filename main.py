"""Run the service: `python main.py` serves on HOST:PORT (default http://localhost:8000, docs at /docs)."""

import logging
import sys

import uvicorn
from pydantic import ValidationError

from app.factory import create_app
from config import get_settings, settings_error_lines

if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = get_settings()
    except ValidationError as exc:  # one line per variable, no traceback; 2 = a usage error, as for the CLI
        print("\n".join(f"configuration error: {line}" for line in settings_error_lines(exc)), file=sys.stderr)
        sys.exit(2)
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port)
