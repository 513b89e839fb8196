"""Where things are on this API: the prefix its routes are under, and the URLs answers name records by.

Built here, from ids, and nowhere below the API layer: the services are handed `image_url` as their
`image_link` (see app/services/comics/image_history.py) for the image URLs a comic keeps beside each image id.
"""

from __future__ import annotations

API_PREFIX = "/api/v1"


def image_url(image_id: str) -> str:
    """The plain, server-relative URL of an image (signed for `<img src>` as an answer leaves, app/api/signing.py)."""
    return f"{API_PREFIX}/images/{image_id}"


def job_status_url(job_id: str) -> str:
    return f"{API_PREFIX}/comics/{job_id}/status"


def project_url(project_id: str) -> str:
    return f"{API_PREFIX}/projects/{project_id}"
