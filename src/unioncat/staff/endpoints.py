"""Staff pages (work in progress)."""

from fastapi import APIRouter

router = APIRouter(prefix="/staff", include_in_schema=False)
