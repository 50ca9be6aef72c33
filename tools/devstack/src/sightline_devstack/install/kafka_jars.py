"""Apache Kafka's broker jars from Maven Central, resolved once into the shared cache.

`platform/kafka/pom.xml` names the broker and its Log4j 2 binding; Maven resolves the rest.
The libs folder is keyed by Kafka version and trusted only when a marker holding the pom's hash
says the copy finished, so an interrupted download or a pom change triggers a clean redo.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

from sightline_devstack.errors import InstallError
from sightline_devstack.locking import exclusive

_POM_NS = {"m": "http://maven.apache.org/POM/4.0.0"}
_MARKER = ".complete"


def kafka_version(pom: Path) -> str:
    """The `kafka.version` property of the pom."""
    node = ET.parse(pom).getroot().find("m:properties/m:kafka.version", _POM_NS)  # noqa: S314
    if node is None or not (node.text or "").strip():
        raise InstallError(f"{pom} has no <kafka.version> property")
    return (node.text or "").strip()


def libs_dir(cache_dir: Path, pom: Path) -> Path:
    """Where the jars for this pom's Kafka version live."""
    return cache_dir / f"kafka-{kafka_version(pom)}" / "libs"


def _pom_digest(pom: Path) -> str:
    return hashlib.sha256(pom.read_bytes()).hexdigest()


def is_complete(libs: Path, pom: Path) -> bool:
    """True when `libs` holds a finished copy for exactly this pom."""
    marker = libs / _MARKER
    return marker.is_file() and marker.read_text().strip() == _pom_digest(pom)


def ensure_kafka_libs(cache_dir: Path, pom: Path, say: Callable[[str], None] = print) -> Path:
    """Resolve the broker's jars with Maven unless cached; returns the libs folder."""
    libs = libs_dir(cache_dir, pom)
    if is_complete(libs, pom):
        return libs
    with exclusive(cache_dir / "kafka-jars.lock", say, "the Kafka jar download"):
        if is_complete(libs, pom):  # another run finished it while we waited
            return libs
        mvn = shutil.which("mvn")
        if mvn is None:
            raise InstallError("mvn (Apache Maven) is needed to fetch Kafka's jars")
        say(f"kafka: resolving {pom.name} from Maven Central into {libs}")
        started = time.monotonic()
        staging = libs.with_name("libs.partial")
        shutil.rmtree(staging, ignore_errors=True)
        argv = [
            mvn,
            "-B",
            "-q",
            "-f",
            str(pom),
            f"-Dmaven.repo.local={cache_dir / 'm2'}",
            "dependency:copy-dependencies",
            f"-DoutputDirectory={staging}",
            "-DincludeScope=runtime",
        ]
        result = subprocess.run(argv, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            output = (result.stdout + result.stderr).strip().splitlines()[-20:]
            raise InstallError("mvn failed to fetch Kafka:\n" + "\n".join(output))
        if not any(staging.glob("kafka_2.13-*.jar")):
            raise InstallError(f"mvn finished but no kafka_2.13 jar landed in {staging}")
        (staging / _MARKER).write_text(_pom_digest(pom))
        shutil.rmtree(libs, ignore_errors=True)
        staging.rename(libs)
        jars = len(list(libs.glob("*.jar")))
        say(f"kafka: {jars} jars in {time.monotonic() - started:.0f}s")
    return libs
