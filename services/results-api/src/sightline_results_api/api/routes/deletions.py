"""`/api/deletions`: follow a deletion job (accepted by DELETE on a stream or a range erase)."""

from __future__ import annotations

from fastapi import APIRouter

from sightline_results_api.api.deps import DeletionsDep
from sightline_results_api.api.schemas import DeletionJobPublic
from sightline_results_api.models import DeletionJob

router = APIRouter(prefix="/deletions", tags=["deletions"])


def to_public(job: DeletionJob) -> DeletionJobPublic:
    """The API view of a job row."""
    return DeletionJobPublic.model_validate(job, from_attributes=True)


@router.get("/{job_id}")
def get_deletion(job_id: str, deletions: DeletionsDep) -> DeletionJobPublic:
    """A deletion job and how far it got."""
    return to_public(deletions.get(job_id))
