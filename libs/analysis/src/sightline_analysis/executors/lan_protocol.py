"""The LAN executor's HTTP contract: a batch of frames in, per-frame results out."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from sightline_common.messages import ResultItem

ANALYZE_PATH = "/v1/analyze"


class WireFrame(BaseModel):
    """One sampled frame: its offset in the segment and base64 JPEG pixels."""

    model_config = ConfigDict(extra="forbid")
    offset: float
    image: str


class AnalyzeRequest(BaseModel):
    """Analyse `frames` of `stream_id` with the analyzers named (must match the server's)."""

    model_config = ConfigDict(extra="forbid")
    stream_id: str
    analyzers: list[str]
    frames: list[WireFrame]


class WireLate(BaseModel):
    """A result on a frame of the stream's previous request (`Analyzer.late`)."""

    model_config = ConfigDict(extra="forbid")
    ago: int = Field(ge=1)
    item: ResultItem


class AnalyzeResponse(BaseModel):
    """One result list per frame, the results added to the previous request's frames, and
    which host computed them."""

    model_config = ConfigDict(extra="forbid")
    results: list[list[ResultItem]]
    late: list[WireLate] = []
    host: str
