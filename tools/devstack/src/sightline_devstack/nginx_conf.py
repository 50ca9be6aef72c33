"""Renders nginx-rtmp's configuration from `platform/nginx/nginx.conf.template`.

A plain function of its parameters, so the shared platform and a test's throwaway nginx (other
ports, another folder, no publish callback) come from the same template.
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass
from pathlib import Path
from string import Template

TEMPLATE_RELPATH = Path("platform/nginx/nginx.conf.template")
_MODULE_GLOBS = (
    "/usr/lib/nginx/modules/ngx_rtmp_module.so",
    "/usr/lib*/nginx/modules/ngx_rtmp_module.so",
    "/usr/local/nginx/modules/ngx_rtmp_module.so",
    "/usr/share/nginx/modules/ngx_rtmp_module.so",
)
_INDENT = " " * 12


class RtmpModuleNotFoundError(FileNotFoundError):
    """libnginx-mod-rtmp is not installed (or installed somewhere unexpected)."""


def find_rtmp_module() -> Path:
    """Where Debian's libnginx-mod-rtmp put the dynamic module."""
    for pattern in _MODULE_GLOBS:
        for hit in sorted(glob.glob(pattern)):
            return Path(hit)
    raise RtmpModuleNotFoundError("ngx_rtmp_module.so not found; install libnginx-mod-rtmp")


@dataclass(frozen=True)
class NginxParams:
    """Everything that differs between two nginx-rtmp instances."""

    prefix: Path  # nginx -p: pid, logs and temp files live here
    hls_dir: Path
    rtmp_port: int = 1935
    http_port: int = 8080
    host: str = "127.0.0.1"
    callback_url: str | None = None  # base URL; None = no on_publish hooks
    publish_allow: tuple[str, ...] = ("127.0.0.1",)
    play_allow: tuple[str, ...] = ()
    run_as_root: bool = False  # workers write HLS files into root-owned folders
    rtmp_module: Path | None = None  # None = find_rtmp_module()


def _access_rules(params: NginxParams) -> str:
    lines = [f"allow publish {addr};" for addr in params.publish_allow]
    lines.append("deny publish all;")
    lines += [f"allow play {addr};" for addr in params.play_allow]
    lines.append("deny play all;")
    return "\n".join(_INDENT + line for line in lines)


def _callbacks(params: NginxParams) -> str:
    if params.callback_url is None:
        return _INDENT + "# (no publish callbacks configured)"
    base = params.callback_url.rstrip("/")
    return "\n".join(
        [
            f"{_INDENT}on_publish {base}/on_publish;",
            f"{_INDENT}on_publish_done {base}/on_publish_done;",
        ]
    )


def render_nginx_conf(params: NginxParams, template: Path) -> str:
    """The nginx.conf text for `params` from the template at `template`."""
    module = params.rtmp_module or find_rtmp_module()
    values = {
        "user_directive": "user root root;" if params.run_as_root else "# (not root: no user)",
        "prefix": str(params.prefix),
        "rtmp_module": str(module),
        "host": params.host,
        "rtmp_port": str(params.rtmp_port),
        "http_port": str(params.http_port),
        "hls_dir": str(params.hls_dir),
        "access_rules": _access_rules(params),
        "callbacks": _callbacks(params),
    }
    return Template(template.read_text()).substitute(values)


def write_nginx_conf(params: NginxParams, template: Path) -> Path:
    """Render into `<prefix>/nginx.conf`, creating the folders nginx expects; returns the path."""
    for sub in ("logs", "tmp"):
        (params.prefix / sub).mkdir(parents=True, exist_ok=True)
    params.hls_dir.mkdir(parents=True, exist_ok=True)
    conf = params.prefix / "nginx.conf"
    conf.write_text(render_nginx_conf(params, template))
    return conf


def running_as_root() -> bool:
    """nginx workers drop to `nobody` unless told otherwise; as root we keep them root."""
    return os.geteuid() == 0
