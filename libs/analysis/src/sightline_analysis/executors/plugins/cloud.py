"""Cloud executor: a hosted vision API over REST (Google Cloud Vision `images:annotate`).

Only analyzers the API has a feature for are asked of it (logo, faces, labels, text,
colours); the rest have no cloud equivalent and are absent from a cloud-made detection. The
real endpoint is `https://vision.googleapis.com`; tests point `endpoint` at the local stand-in.
"""

from __future__ import annotations

from typing import Literal

import httpx
from pydantic import SecretStr

from sightline_analysis.analyzers import AnalyzerSet
from sightline_analysis.executors.base import (
    AnalysisCall,
    Executor,
    ExecutorAnswer,
    ExecutorConfig,
    ExecutorFailedError,
    check_shape,
)
from sightline_analysis.executors.vision_api import (
    ANNOTATE_PATH,
    FEATURE_OF_ANALYZER,
    MAX_IMAGES_PER_REQUEST,
    AnnotateImageRequest,
    BatchAnnotateImagesRequest,
    BatchAnnotateImagesResponse,
    Feature,
    ImageContent,
    dump,
    results_of,
)
from sightline_analysis.wire import encode_image
from sightline_common.messages import ExecutorKind, ResultItem

API_KEY_HEADER = "X-Goog-Api-Key"  # Google APIs take the key here as well as in `?key=`


class CloudConfig(ExecutorConfig):
    """Endpoint, API key and the per-call timeout that bounds a slow answer."""

    type: Literal["cloud"] = "cloud"
    endpoint: str = "https://vision.googleapis.com"
    api_key: SecretStr = SecretStr("")
    timeout: float = 10.0
    max_results: int = 10
    jpeg_quality: int = 90


class CloudExecutor(Executor):
    """Sends frames in batches of up to 16 images per `images:annotate` call."""

    kind = ExecutorKind.cloud
    config_model = CloudConfig

    def __init__(self, config: ExecutorConfig, analyzers: AnalyzerSet) -> None:
        super().__init__(config, analyzers)
        assert isinstance(config, CloudConfig)
        self._cfg = config
        self._client = httpx.Client(timeout=config.timeout)
        self._features = [
            Feature(type=FEATURE_OF_ANALYZER[key], max_results=config.max_results)
            for key in analyzers.keys
            if key in FEATURE_OF_ANALYZER
        ]

    def run(self, call: AnalysisCall) -> ExecutorAnswer:
        """Annotations for every frame, translated into Sightline results."""
        if not self._features:
            raise ExecutorFailedError(f"no cloud feature for analyzers {self.analyzers.keys}")
        if not self._cfg.api_key.get_secret_value():
            raise ExecutorFailedError("no cloud API key configured")
        results: list[list[ResultItem]] = []
        frames = list(call.frames)
        for start in range(0, len(frames), MAX_IMAGES_PER_REQUEST):
            chunk = frames[start : start + MAX_IMAGES_PER_REQUEST]
            request = BatchAnnotateImagesRequest(
                requests=[
                    AnnotateImageRequest(
                        image=ImageContent(content=encode_image(f.image, self._cfg.jpeg_quality)),
                        features=self._features,
                    )
                    for f in chunk
                ]
            )
            answer = self._post(request)
            check_shape(answer.responses, chunk, "cloud")
            for frame, response in zip(chunk, answer.responses, strict=True):
                if response.error is not None and response.error.code:
                    raise ExecutorFailedError(f"cloud image error: {response.error.message}")
                results.append(results_of(response, (frame.width, frame.height)))
        return ExecutorAnswer(results, host=httpx.URL(self._cfg.endpoint).host)

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._client.close()

    def _post(self, request: BatchAnnotateImagesRequest) -> BatchAnnotateImagesResponse:
        try:
            response = self._client.post(
                self._cfg.endpoint.rstrip("/") + ANNOTATE_PATH,
                # In a header, not `?key=`: URLs end up in logs and proxies' access logs.
                headers={API_KEY_HEADER: self._cfg.api_key.get_secret_value()},
                json=dump(request),
            )
            response.raise_for_status()
            return BatchAnnotateImagesResponse.model_validate_json(response.content)
        except httpx.HTTPStatusError as exc:
            raise ExecutorFailedError(f"cloud answered {exc.response.status_code}") from exc
        except (httpx.HTTPError, ValueError) as exc:
            raise ExecutorFailedError(f"cloud call failed: {type(exc).__name__}: {exc}") from exc
