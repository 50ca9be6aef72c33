"""Apache Kafka 4.x in KRaft mode: one process that is both broker and controller.

Storage is formatted once with a fresh cluster id; on every `up` the project's topics from
`sightline_common.topics` are created if missing (never altered: changing partitions of a
keyed topic would reshuffle streams across partitions).
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import shutil
import subprocess
import uuid
from pathlib import Path
from string import Template

from confluent_kafka.admin import AdminClient
from confluent_kafka.cimpl import NewTopic

from sightline_common.kafka.security import KafkaSecurity, admin_config
from sightline_common.topics import TopicNames
from sightline_devstack import ports
from sightline_devstack.errors import InstallError, PlatformError
from sightline_devstack.install.kafka_jars import ensure_kafka_libs
from sightline_devstack.servers import kafka_auth, kafka_tls
from sightline_devstack.servers.base import Launch, Server

# librdkafka logs every refused connection while the broker boots; health polls stay quiet.
_QUIET = logging.getLogger("sightline_devstack.kafka.admin")
_QUIET.addHandler(logging.NullHandler())
_QUIET.propagate = False

# A local broker lives seconds to minutes under tests on two cores: C2's compiles cost more CPU
# than its faster code saves there, and G1's concurrent threads more than serial pauses on a
# small heap. With the client compiler only and the serial GC a broker took about half the CPU
# (nproc 2, load 5-11): private bench broker 3.4-4.0 instead of 6.1-8.2 CPU-s to be ready, and
# 41.7 instead of 51.1 CPU-s over 5 minutes with 50 topic sets and 30000 messages; the test
# modules' brokers (SCRAM and TLS ones too) 8.6-12.3 instead of 15.0-19.7 CPU-s each.
# Not production's: deploy/ runs the image's own JVM.
JVM_OPTIONS = ("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC")


# Class data sharing: a broker JVM spends most of its start loading and verifying the same few
# thousand classes. The first broker that runs without an archive dumps the classes it loaded
# when it exits (-XX:ArchiveClassesAtExit, into its state folder); after a polite stop the dump
# moves to the cache, and every later broker on this JVM and these jars maps it instead
# (-XX:SharedArchiveFile). A JVM that finds the archive unusable says so and loads classes as
# before (a cut archive, though, crashes it: hence the check before one is kept). Throwaway
# broker to ready, nproc 2, load 6: 4.47-4.49 CPU-s (10.5-12.0 s) without, 2.55-2.64 (5.1-5.6 s)
# with; through `up`/`down` at load 7: 4.66, then 3.08 and 3.26. The dump costs 0.6 CPU-s and
# a 12 s stop once per JDK and jar set; the archive is about 50 MB.
_ARCHIVE_SUFFIX = ".jsa"
_INCOMING_SUFFIX = ".jsa.incoming"


def new_cluster_id() -> str:
    """A Kafka cluster id: 16 random bytes, URL-safe base64 without padding."""
    while True:
        text = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not text.startswith("-"):  # Kafka's own generator avoids ids that look like flags
            return text


def admin_client(bootstrap: str, security: KafkaSecurity | None = None) -> AdminClient:
    """An AdminClient that neither retries forever nor floods stderr (as `security`, or as the
    process's identity when None)."""
    config = admin_config(bootstrap, **{"socket.timeout.ms": 3000})
    if security is not None:
        config.update(security.librdkafka())
    return AdminClient(config, logger=_QUIET)


class Kafka(Server):
    """A single-node KRaft Kafka run straight from the cached jars with `java`."""

    name = "kafka"
    stop_timeout_s = 40.0  # controlled shutdown flushes and closes every partition

    @property
    def authenticated(self) -> bool:
        """Whether this broker requires SCRAM logins and enforces ACLs."""
        return bool(self.settings.kafka_admin_password)

    @property
    def ca_file(self) -> Path | None:
        """The CA a client verifies this broker with, when its listener is TLS."""
        if not self.settings.kafka_tls:
            return None
        return self._certificates().ca_file

    def _certificates(self) -> kafka_tls.BrokerCertificates:
        if not self.authenticated:
            raise PlatformError("kafka: TLS is only offered with SCRAM logins (an admin password)")
        return kafka_tls.ensure_certificates(self.dir / "tls", self.settings.host)

    def _admin(self, chosen_ports: dict[str, int]) -> AdminClient:
        # This broker's own login, never the one a developer's shell exports for a service.
        password = self.settings.kafka_admin_password
        anonymous = KafkaSecurity(username="")
        admin = kafka_auth.admin_identity(password, self.ca_file) if self.authenticated else None
        return admin_client(self.bootstrap(chosen_ports), admin or anonymous)

    @property
    def pom(self) -> Path:
        """The dependency list naming the Kafka version."""
        return self.settings.platform_dir / "kafka" / "pom.xml"

    @property
    def data_dir(self) -> Path:
        """KRaft metadata log and topic partitions."""
        return self.dir / "data"

    def wanted_ports(self) -> dict[str, int]:
        return {
            "broker": self.settings.kafka_port,
            "controller": self.settings.kafka_controller_port,
        }

    def _java(self) -> str:
        home = os.environ.get("JAVA_HOME")
        found = str(Path(home) / "bin" / "java") if home else shutil.which("java")
        if not found or not Path(found).exists():
            raise InstallError("java (17 or newer) is needed to run Kafka")
        return found

    def install(self) -> None:
        ensure_kafka_libs(self.settings.cache_dir, self.pom, self.say)

    def _classpath(self) -> str:
        libs = ensure_kafka_libs(self.settings.cache_dir, self.pom, self.say)
        return f"{libs}/*"

    def prepare(self, chosen_ports: dict[str, int]) -> None:
        template = Template(
            (self.settings.platform_dir / "kafka" / "server.properties.template").read_text()
        )
        password = self.settings.kafka_admin_password
        plain = "SASL_PLAINTEXT" if self.authenticated else "PLAINTEXT"
        protocol = "SASL_SSL" if self.settings.kafka_tls else plain
        props = self.dir / "server.properties"
        rendered = template.substitute(
            host=self.settings.host,
            broker_port=chosen_ports["broker"],
            controller_port=chosen_ports["controller"],
            data_dir=self.data_dir,
            broker_protocol=protocol,
            controller_protocol=plain,
        )
        if self.authenticated:
            rendered += kafka_auth.server_properties(password, protocol)
        if self.settings.kafka_tls:
            rendered += kafka_tls.server_properties(self._certificates())
        props.touch(mode=0o600)  # it may hold the admin password
        props.write_text(rendered)
        if (self.data_dir / "meta.properties").exists():
            return
        self.say("kafka: formatting KRaft storage")
        java, classpath, _ = self._jvm()
        archive = self._archive(java, classpath)
        argv = [
            java,
            *JVM_OPTIONS,  # 1.6-1.9 -> 1.1 CPU-s a format (nproc 2, load 7)
            # The brokers' class archive, if kept, serves the format tool too (it never dumps
            # one): 1.01-1.38 -> 0.69-0.78 CPU-s a format (nproc 2, load 7).
            *([f"-XX:SharedArchiveFile={archive}"] if archive.is_file() else []),
            "-cp",
            classpath,
            *self._log_opts(),
            "kafka.tools.StorageTool",
            "format",
            "--config",
            str(props),
            "--cluster-id",
            new_cluster_id(),
            *(kafka_auth.format_args(password) if self.authenticated else []),
        ]
        result = subprocess.run(argv, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise PlatformError(f"kafka storage format failed:\n{result.stdout}{result.stderr}")

    def _log_opts(self) -> list[str]:
        return [
            f"-Dlog4j2.configurationFile={self.settings.platform_dir / 'kafka/log4j2.properties'}",
            f"-Dkafka.logs.dir={self.dir / 'logs'}",
        ]

    @property
    def archive_dir(self) -> Path:
        """Where the class-data-sharing archive of the newest JVM and jars is kept."""
        return self.settings.cache_dir / "kafka-cds"

    def _jvm(self) -> tuple[str, str, list[str]]:
        """The java binary, class path and JVM options every broker runs with."""
        jvm = [f"-Xmx{self.settings.kafka_heap}", "-Xms256m", *JVM_OPTIONS]
        return self._java(), self._classpath(), jvm

    def _archive(self, java: str, classpath: str) -> Path:
        # Keyed by what the JVM checks an archive against, so a new JDK or jar set dumps a new
        # one rather than trying the old one on every start. Not by the heap size: brokers with
        # other heaps (the security tests' 384m) map the same archive.
        binary = Path(java).resolve()
        jars = sorted(
            f"{p.name}:{p.stat().st_size}:{p.stat().st_mtime_ns}"
            for p in Path(classpath.removesuffix("/*")).iterdir()
        )
        parts = [str(binary), str(binary.stat().st_mtime_ns), classpath, *jars, *JVM_OPTIONS]
        key = hashlib.sha256("\0".join(parts).encode()).hexdigest()[:16]
        return self.archive_dir / f"{key}{_ARCHIVE_SUFFIX}"

    def _class_sharing(self, java: str, classpath: str) -> list[str]:
        archive = self._archive(java, classpath)
        if archive.is_file():
            return [f"-XX:SharedArchiveFile={archive}"]
        incoming = self.dir / archive.name.replace(_ARCHIVE_SUFFIX, _INCOMING_SUFFIX)
        incoming.unlink(missing_ok=True)
        return [f"-XX:ArchiveClassesAtExit={incoming}"]

    def launch(self, chosen_ports: dict[str, int]) -> Launch:
        java, classpath, jvm = self._jvm()
        return Launch(
            argv=[
                java,
                *jvm,
                *self._class_sharing(java, classpath),
                "-Djava.awt.headless=true",
                *self._log_opts(),
                "-cp",
                classpath,
                "kafka.Kafka",
                str(self.dir / "server.properties"),
            ],
            cwd=self.dir,
        )

    def after_stop(self, polite: bool) -> None:
        # Only a JVM that exited on its own finished writing its dump; a killed one's is cut.
        for incoming in self.dir.glob(f"*{_INCOMING_SUFFIX}"):
            if polite and incoming.stat().st_size > 0:
                try:
                    self._keep_archive(incoming)
                except OSError as exc:  # a full disk costs later brokers the archive, no more
                    self.say(f"kafka: class archive not kept: {exc}")
            incoming.unlink(missing_ok=True)

    def _keep_archive(self, incoming: Path) -> None:
        # A JVM given a cut or foreign archive may crash rather than ignore it: only an archive
        # this JVM maps (-Xshare:on fails otherwise, in 0.1 CPU-s) is kept. A crash's report goes
        # to the broker's folder, not to the caller's (a clone's root under `make test`).
        java, classpath, jvm = self._jvm()
        check = [java, *jvm, f"-XX:SharedArchiveFile={incoming}", "-Xshare:on",
                 f"-XX:ErrorFile={self.dir / 'hs_err_archive_check_%p.log'}",
                 "-cp", classpath]  # fmt: skip
        result = subprocess.run(
            [*check, "-version"], capture_output=True, check=False, cwd=self.dir
        )
        if result.returncode != 0:
            self.say(f"kafka: class archive not kept: the JVM cannot map it ({result.returncode})")
            return
        name = incoming.name.removesuffix(_INCOMING_SUFFIX) + _ARCHIVE_SUFFIX
        self.archive_dir.mkdir(parents=True, exist_ok=True)
        for old in self.archive_dir.glob(f"*{_ARCHIVE_SUFFIX}"):
            if old.name != name:
                old.unlink(missing_ok=True)
        # Copied beside it, then renamed: a broker starting meanwhile maps a whole archive or
        # none (the state folder may be on another filesystem than the cache).
        staged = self.archive_dir / f".{name}.{os.getpid()}"
        try:
            shutil.copyfile(incoming, staged)
            staged.replace(self.archive_dir / name)
        finally:
            staged.unlink(missing_ok=True)

    def bootstrap(self, chosen_ports: dict[str, int]) -> str:
        """host:port clients connect to."""
        return f"{self.settings.host}:{chosen_ports['broker']}"

    def is_ready(self, chosen_ports: dict[str, int]) -> bool:
        if not ports.accepts_connections(chosen_ports["broker"], self.settings.host):
            return False
        try:
            meta = self._admin(chosen_ports).list_topics(timeout=3)
        except Exception:  # noqa: BLE001 - KafkaException and friends: simply not ready yet
            return False
        return len(meta.brokers) > 0

    def provision(self, chosen_ports: dict[str, int]) -> None:
        names = TopicNames(prefix=self.settings.topic_prefix)
        specs = names.all_names()
        admin = self._admin(chosen_ports)
        if self.authenticated:
            kafka_auth.provision_principals(admin, names)
        existing = set(admin.list_topics(timeout=10).topics)
        todo = [
            NewTopic(
                name,
                num_partitions=int(spec["partitions"]),
                replication_factor=1,
                config={k: str(v) for k, v in spec.items() if k != "partitions"},
            )
            for name, spec in specs.items()
            if name not in existing
        ]
        if not todo:
            return
        for name, future in admin.create_topics(todo, operation_timeout=30).items():
            try:
                future.result()
            except Exception as exc:
                if "TOPIC_ALREADY_EXISTS" not in str(exc):  # a concurrent creator won the race
                    raise PlatformError(f"kafka: could not create topic {name}: {exc}") from exc
        self.say(f"kafka: created {len(todo)} topics")
