"""The two nginx configurations the images ship are accepted by nginx itself (`nginx -t`, the
same Debian nginx + rtmp module the nginx-rtmp image installs), with container paths and
upstream names mapped onto this machine."""

from __future__ import annotations

import string
import subprocess
from pathlib import Path

from .manifests import REPO


def nginx_test(nginx: str, config: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [nginx, "-t", "-c", str(config), "-e", "stderr"],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )


def rtmp_config(tmp_path: Path, callback_url: str) -> Path:
    """The nginx-rtmp image's template rendered as its entrypoint does, /tmp paths moved here."""
    template = (REPO / "deploy" / "nginx-rtmp" / "nginx.conf.template").read_text()
    rendered = string.Template(template).substitute(
        SIGHTLINE_RTMP_CALLBACK_URL=callback_url, SIGHTLINE_HLS_DIR=str(tmp_path / "hls")
    )
    config = tmp_path / "nginx.conf"
    config.write_text(rendered.replace("/tmp/nginx", str(tmp_path)))
    return config


def test_nginx_rtmp_config_is_valid(nginx: str, tmp_path: Path) -> None:
    result = nginx_test(nginx, rtmp_config(tmp_path, "http://127.0.0.1:8010/rtmp"))
    assert result.returncode == 0, result.stderr


def test_nginx_rtmp_entrypoint_substitutes_only_its_two_variables() -> None:
    entrypoint = (REPO / "deploy" / "nginx-rtmp" / "entrypoint.sh").read_text()
    template = (REPO / "deploy" / "nginx-rtmp" / "nginx.conf.template").read_text()
    variables = {m.group("braced") for m in string.Template.pattern.finditer(template)} - {None}
    assert variables == {"SIGHTLINE_RTMP_CALLBACK_URL", "SIGHTLINE_HLS_DIR"}
    assert "envsubst '${SIGHTLINE_RTMP_CALLBACK_URL} ${SIGHTLINE_HLS_DIR}'" in entrypoint


def test_dashboard_config_is_valid_and_proxies_api_and_websocket(
    nginx: str, tmp_path: Path
) -> None:
    server = (REPO / "frontend" / "nginx.conf").read_text()
    assert "location /api/" in server
    assert "location = /ws" in server
    assert "proxy_set_header Upgrade $http_upgrade;" in server
    local = server.replace("results-api:8000", "127.0.0.1:8000").replace(
        "notifier:8001", "127.0.0.1:8001"
    )
    config = tmp_path / "nginx.conf"
    config.write_text(
        f"pid {tmp_path}/nginx.pid;\nevents {{}}\nhttp {{\n"
        f"client_body_temp_path {tmp_path}/body;\nproxy_temp_path {tmp_path}/proxy;\n"
        f"{local}\n}}\n"
    )
    result = nginx_test(nginx, config)
    assert result.returncode == 0, result.stderr


def test_a_broken_nginx_config_is_rejected(nginx: str, tmp_path: Path) -> None:
    config = rtmp_config(tmp_path, "http://127.0.0.1:8010/rtmp")
    config.write_text(config.read_text().replace("hls_fragment 2s;", "hls_fragment;"))
    assert nginx_test(nginx, config).returncode != 0
