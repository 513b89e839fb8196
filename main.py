"""Run the service: `python main.py` serves on HOST:PORT (default http://localhost:8000, docs at /docs)."""

import logging
import sys

import uvicorn
from pydantic import ValidationError

from app.factory import create_app
from config import get_settings

if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = get_settings()
    except ValidationError as exc:
        sys.exit("configuration error: " + "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors()))
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port)
