"""Whether this machine can run the Spark engine, and one line saying what to install if not.

Checked before anything imports pyspark: without Java, pyspark fails late with a long JVM
gateway trace instead.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
from pathlib import Path

MIN_JAVA = 17
INSTALL_PYSPARK = "pip install 'moviebot[spark]'"
INSTALL_JAVA = "apt-get install openjdk-17-jre-headless (or any Java 17+ runtime)"


class SparkUnavailable(RuntimeError):
    """pyspark or a Java 17+ runtime is missing; the message says what to install."""


def find_java() -> Path | None:
    """The ``java`` that pyspark will launch: ``$JAVA_HOME/bin/java`` first, then ``PATH``."""
    home = os.environ.get("JAVA_HOME")
    if home and (candidate := Path(home) / "bin" / "java").is_file():
        return candidate
    found = shutil.which("java")
    return Path(found) if found else None


def java_major(java: Path) -> int | None:
    """The major version ``java -version`` reports (17 for "17.0.15", 8 for "1.8.0"), or None
    when it cannot run."""
    try:
        done = subprocess.run(
            [str(java), "-version"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.search(r'version "(\d+)(?:\.(\d+))?', done.stderr + done.stdout)
    if match is None:
        return None
    major = int(match[1])
    return int(match[2] or 0) if major == 1 else major


def java_ok() -> bool:
    """A Java runtime pyspark can use is installed."""
    java = find_java()
    major = java_major(java) if java is not None else None
    return major is not None and major >= MIN_JAVA


def missing() -> list[str]:
    """What to install, one clause each; empty when the engine can run."""
    needs = []
    if importlib.util.find_spec("pyspark") is None:
        needs.append(INSTALL_PYSPARK)
    java = find_java()
    if java is None:
        needs.append(INSTALL_JAVA)
    else:
        major = java_major(java)
        if major is None or major < MIN_JAVA:
            found = "an unknown version" if major is None else f"Java {major}"
            needs.append(f"{INSTALL_JAVA}: {java} is {found}")
    return needs


def require_spark() -> None:
    """Raise :class:`SparkUnavailable` with one line naming what to install."""
    needs = missing()
    if needs:
        raise SparkUnavailable(
            "the Spark engine needs pyspark and a Java 17 runtime; install: " + "; ".join(needs)
        )
