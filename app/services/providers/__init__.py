"""The writers and artists: the TextModel/ImageModel protocols, the registry that picks one, offline and vendor adapters."""
