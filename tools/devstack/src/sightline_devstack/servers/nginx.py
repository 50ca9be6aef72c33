"""nginx with the RTMP module: OBS/ffmpeg push RTMP in, HLS segments come out on disk."""

from __future__ import annotations

import shutil
import signal
import subprocess
import urllib.request

from sightline_devstack.errors import InstallError, ServerStartError
from sightline_devstack.nginx_conf import (
    TEMPLATE_RELPATH,
    NginxParams,
    running_as_root,
    write_nginx_conf,
)
from sightline_devstack.servers.base import Launch, Server


def http_ok(url: str, timeout: float = 2.0) -> bool:
    """True when GET `url` answers 200."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:  # noqa: S310 - loopback URL
            return int(resp.status) == 200
    except OSError:
        return False


class NginxRtmp(Server):
    """Debian's nginx + libnginx-mod-rtmp, configured from the repo's template."""

    name = "nginx"
    # SIGTERM is nginx's fast shutdown; SIGQUIT would wait for live publishers to hang up.
    stop_signal = signal.SIGTERM
    stop_timeout_s = 15.0

    def wanted_ports(self) -> dict[str, int]:
        return {"rtmp": self.settings.rtmp_port, "http": self.settings.nginx_http_port}

    def params(self, chosen_ports: dict[str, int]) -> NginxParams:
        """The template parameters for this platform's nginx."""
        s = self.settings
        return NginxParams(
            prefix=self.dir,
            hls_dir=s.hls_dir,
            rtmp_port=chosen_ports["rtmp"],
            http_port=chosen_ports["http"],
            host=s.host,
            callback_url=s.rtmp_callback_url,
            publish_allow=s.rtmp_publish_allow,
            play_allow=s.rtmp_play_allow,
            run_as_root=running_as_root(),
        )

    def _nginx(self) -> str:
        found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/sbin")
        if found is None:
            raise InstallError("nginx is not installed")
        return found

    def prepare(self, chosen_ports: dict[str, int]) -> None:
        conf = write_nginx_conf(
            self.params(chosen_ports), self.settings.repo_root / TEMPLATE_RELPATH
        )
        # Fail with nginx's own words before spawning, rather than a health timeout later.
        check = subprocess.run(
            [*self._argv(conf), "-t", "-q"], capture_output=True, text=True, check=False
        )
        if check.returncode != 0:
            raise ServerStartError(f"nginx: config test failed: {check.stderr.strip()}", conf)

    def _argv(self, conf: object) -> list[str]:
        prefix = str(self.dir)
        # -e: Debian's build opens its compiled-in error log before reading our config.
        return [self._nginx(), "-p", prefix, "-c", str(conf), "-e", f"{prefix}/logs/error.log"]

    def launch(self, chosen_ports: dict[str, int]) -> Launch:
        return Launch(argv=self._argv(self.dir / "nginx.conf"))

    def is_ready(self, chosen_ports: dict[str, int]) -> bool:
        return http_ok(f"http://{self.settings.host}:{chosen_ports['http']}/healthz")
