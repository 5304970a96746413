"""docker/: the compose file, the Dockerfile, the pinned requirements and .env.example, checked
as files (no Docker engine runs here): what a user would read before `docker compose up`.

Expected values come from elsewhere than the files under test: the installed pyspark, the
interpreter running the tests, pyproject.toml, and the environment variables found by scanning
framework/ and pipelines/ for what they read.
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import tomllib

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DOCKER = os.path.join(ROOT, "docker")
COMPOSE = os.path.join(DOCKER, "compose.yaml")
DOCKERFILE = os.path.join(DOCKER, "Dockerfile")
REQUIREMENTS = os.path.join(DOCKER, "requirements.txt")
ENV_EXAMPLE = os.path.join(DOCKER, ".env.example")
SPARK_REPO = "apache/spark"
LOCAL_IMAGE = "sparketl"  # built from docker/Dockerfile, never pulled


def _read(path: str) -> str:
    with open(path, encoding="utf-8") as fh:
        return fh.read()


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(_read(COMPOSE))


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


@pytest.fixture(scope="module")
def pyproject() -> dict:
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as fh:
        return tomllib.load(fh)


# -- helpers ------------------------------------------------------------------------------------

def split_image(ref: str) -> tuple[str, str | None]:
    """`registry/name:tag` -> (registry/name, tag or None); a digest counts as no tag."""
    ref = ref.split("@", 1)[0]
    last = ref.rsplit("/", 1)[-1]
    if ":" in last:
        name, tag = ref.rsplit(":", 1)
        return name, tag
    return ref, None


def dockerfile_instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    out, buf = [], ""
    for line in text.splitlines():
        stripped = line.strip()
        if not buf and (not stripped or stripped.startswith("#")):
            continue
        if stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            buf += stripped[:-1] + " "
            continue
        full = (buf + stripped).strip()
        buf = ""
        word, _, rest = full.partition(" ")
        out.append((word.upper(), rest.strip()))
    return out


def dockerfile_images(text: str) -> list[str]:
    """The images FROM lines pull (build stages named by `AS` are not images)."""
    stages, images = set(), []
    for word, rest in dockerfile_instructions(text):
        if word != "FROM":
            continue
        parts = [p for p in rest.split() if not p.startswith("--")]
        if parts[0] not in stages:
            images.append(parts[0])
        if len(parts) >= 3 and parts[1].lower() == "as":
            stages.add(parts[2])
    return images


def dockerfile_env(text: str) -> dict[str, str]:
    env: dict[str, str] = {}
    for word, rest in dockerfile_instructions(text):
        if word == "ENV":
            for key, value in re.findall(r"([A-Za-z_][A-Za-z0-9_]*)=(\S*)", rest):
                env[key] = value
    return env


def dockerfile_args(text: str) -> dict[str, str]:
    args: dict[str, str] = {}
    for word, rest in dockerfile_instructions(text):
        if word == "ARG" and "=" in rest:
            key, _, value = rest.partition("=")
            args[key.strip()] = value.strip().strip('"')
    return args


def pins(text: str) -> dict[str, tuple[str, str]]:
    """canonical name -> (operator, version) of each requirement line."""
    out = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        req = Requirement(line)
        specs = list(req.specifier)
        assert len(specs) == 1, f"{line!r}: one exact pin expected"
        out[canonicalize_name(req.name)] = (specs[0].operator, specs[0].version)
    return out


def environment(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {k: "" if v is None else str(v) for k, v in env.items()}


def depends_on(service: dict) -> dict:
    deps = service.get("depends_on") or {}
    return {name: None for name in deps} if isinstance(deps, list) else deps


def strings(node) -> list[str]:
    """Every string in a parsed YAML tree (keys of mappings too)."""
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for k, v in node.items() for s in strings(k) + strings(v)]
    if isinstance(node, list):
        return [s for item in node for s in strings(item)]
    return []


_INTERPOLATED = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)")


def interpolated(node) -> set[str]:
    """The variables `${NAME...}` reads in a parsed YAML tree (`$${` is a literal `${`)."""
    return {m.group(1) for s in strings(node) for m in _INTERPOLATED.finditer(s)}


_ENV_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")


def env_reads_in_source(source: str, constants: dict[str, str]) -> set[str]:
    """The environment variables a module reads: os.environ.get(X) / os.getenv(X) /
    os.environ[X] / X in os.environ / env.get(X) (a mapping of the environment passed in) /
    click's envvar=X / a `"${" + X` reference built for the pipeline loader. X is a string
    literal or a module-level string constant (of this module, else of any framework module)."""
    tree = ast.parse(source)
    local = {t.id: n.value.value for n in tree.body if isinstance(n, ast.Assign)
             for t in n.targets if isinstance(t, ast.Name)
             and isinstance(n.value, ast.Constant) and isinstance(n.value.value, str)}

    def value(node) -> str | None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.Name):
            return local.get(node.id, constants.get(node.id))
        return None

    def is_environ(node) -> bool:
        return (isinstance(node, ast.Attribute) and node.attr == "environ") or (
            isinstance(node, ast.Name) and node.id in {"environ", "env"})

    found: list[str | None] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr == "get" and is_environ(func.value):
                found.append(value(node.args[0]) if node.args else None)
            if isinstance(func, ast.Attribute) and func.attr == "getenv" and node.args:
                found.append(value(node.args[0]))
            found.extend(value(k.value) for k in node.keywords if k.arg == "envvar")
        elif isinstance(node, ast.Subscript) and is_environ(node.value):
            found.append(value(node.slice))
        elif isinstance(node, ast.Compare) and any(isinstance(op, ast.In) for op in node.ops):
            if any(is_environ(c) for c in node.comparators):
                found.append(value(node.left))
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            if isinstance(node.left, ast.Constant) and node.left.value == "${":
                found.append(value(node.right))
    return {name for name in found if name and _ENV_NAME.match(name)}


def framework_env_reads() -> set[str]:
    sources = {}
    for folder, _, files in os.walk(os.path.join(ROOT, "framework")):
        for name in files:
            if name.endswith(".py"):
                sources[os.path.join(folder, name)] = _read(os.path.join(folder, name))
    constants: dict[str, str] = {}
    for text in sources.values():
        for node in ast.parse(text).body:
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) \
                    and isinstance(node.value.value, str):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        constants.setdefault(target.id, node.value.value)
    return set().union(*(env_reads_in_source(t, constants) for t in sources.values()))


def pipeline_env_reads() -> set[str]:
    """`${NAME}` in the shipped pipelines that no `vars:` entry declares and that is not a
    built-in variable (`${pipeline_dir}`): the loader reads those from the environment."""
    from framework.loader.variables import BUILTINS

    names: set[str] = set()
    folder = os.path.join(ROOT, "pipelines")
    for name in os.listdir(folder):
        if name.endswith((".yaml", ".yml")):
            doc = yaml.safe_load(_read(os.path.join(folder, name))) or {}
            names |= interpolated(doc) - set(doc.get("vars") or {}) - set(BUILTINS)
    return names


def env_example_keys() -> tuple[dict[str, str], set[str]]:
    """(the active settings and their values, the names listed only in comments)."""
    active, listed = {}, set()
    for line in _read(ENV_EXAMPLE).splitlines():
        if m := re.match(r"^([A-Z][A-Z0-9_]*)=(.*)$", line):
            active[m.group(1)] = m.group(2)
        elif m := re.match(r"^#\s*([A-Z][A-Z0-9_]*)=", line):
            listed.add(m.group(1))
    return active, listed


_SECRET_NAME = re.compile(r"PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|CREDENTIAL", re.I)


# -- the compose file ---------------------------------------------------------------------------

def test_the_compose_file_parses_and_has_the_stack(services):
    assert {"postgres", "master", "worker", "app"} <= set(services)


def test_every_image_is_pinned_to_an_exact_tag(services, pyproject):
    images = [(f"service {n}", s["image"]) for n, s in services.items() if "image" in s]
    images += [("Dockerfile FROM", i) for i in dockerfile_images(_read(DOCKERFILE))]
    assert len(images) >= len(services) + 2  # every service names its image; two FROMs
    for where, ref in images:
        name, tag = split_image(ref)
        assert tag, f"{where}: {ref} has no tag"
        assert tag != "latest", f"{where}: {ref} floats"
        assert re.match(r"^v?\d+\.\d+(\.\d+)?", tag), \
            f"{where}: {ref}: the tag must start with an exact version, e.g. 16.16 or 4.3.0"
        if name == LOCAL_IMAGE:
            assert tag == pyproject["project"]["version"], f"{where}: {ref}"


def test_the_local_image_is_built_never_pulled(services):
    local = {n: s for n, s in services.items() if split_image(s["image"])[0] == LOCAL_IMAGE}
    assert {"app", "worker"} <= set(local)
    for name, service in local.items():
        assert service.get("build", {}).get("dockerfile") == "docker/Dockerfile", name
        assert os.path.isfile(os.path.join(DOCKER, service["build"]["context"],
                                           service["build"]["dockerfile"])), name
        assert service.get("pull_policy") == "build", name


def test_every_dependency_waits_on_a_condition_the_target_can_meet(services):
    edges = [(n, dep, cond) for n, s in services.items()
             for dep, cond in depends_on(s).items()]
    assert {("app", "postgres"), ("app", "master"), ("app", "worker"),
            ("worker", "master")} <= {(a, b) for a, b, _ in edges}
    for name, dep, cond in edges:
        assert isinstance(cond, dict) and "condition" in cond, \
            f"{name} -> {dep}: write depends_on with a condition (long form)"
        target = services[dep]
        if cond["condition"] == "service_completed_successfully":
            # a one-shot job: it must not restart, or it never completes
            assert target.get("restart") == "no", f"{dep} is waited for but restarts"
        else:
            assert cond["condition"] == "service_healthy", f"{name} -> {dep}: {cond}"
            check = target.get("healthcheck") or {}
            assert check.get("test") and check["test"] != ["NONE"] \
                and not check.get("disable"), f"{dep} is waited for but has no health check"


def test_postgres_is_16_and_checked_with_pg_isready(services):
    pg = services["postgres"]
    name, tag = split_image(pg["image"])
    assert name == "postgres" and tag.split(".")[0] == "16"
    assert "pg_isready" in " ".join(pg["healthcheck"]["test"])


def _arg(command: list[str], flag: str) -> str:
    return command[command.index(flag) + 1]


def test_the_spark_cluster_is_the_pinned_pyspark_version(services):
    """The cluster's Spark, the image's base and the image's pyspark are one version. (Compared
    with the pin, not with the pyspark `make setup` installed here: a newer release on PyPI
    must not turn CI red; docker/lock_requirements.py moves the pins on purpose.)"""
    pinned = pins(_read(REQUIREMENTS))["pyspark"]
    assert pinned[0] == "=="
    name, tag = split_image(services["master"]["image"])
    assert name == SPARK_REPO
    assert tag.split("-")[0] == pinned[1]
    base = [i for i in dockerfile_images(_read(DOCKERFILE)) if split_image(i)[0] == SPARK_REPO]
    assert [split_image(i)[1].split("-")[0] for i in base] == [pinned[1]]
    assert "java17" in tag and "java17" in split_image(base[0])[1]  # Spark 4 needs Java 17+


def test_the_health_checks_ask_the_ports_and_hosts_the_commands_use(services):
    master = services["master"]
    ui = _arg(master["command"], "--webui-port")
    assert f":{ui}/json/" in " ".join(master["healthcheck"]["test"])
    worker = services["worker"]
    assert _arg(worker["command"], "--host") == "worker"
    url = worker["command"][worker["command"].index("org.apache.spark.deploy.worker.Worker") + 1]
    host, port = re.fullmatch(r"spark://([^:]+):(\d+)", url).groups()
    assert host == master["hostname"] and port == _arg(master["command"], "--port")
    assert f"http://{host}:{ui}/json/" in " ".join(worker["healthcheck"]["test"])
    assert "host') == 'worker'" in " ".join(worker["healthcheck"]["test"])


def test_the_app_runs_the_clickstream_pipeline_into_postgres_on_the_cluster(services):
    app = services["app"]
    assert app["command"][:2] == ["run", "pipelines/clickstream.yaml"]
    assert "--target" in app["command"] and _arg(app["command"], "--target") == "postgres"
    assert "--no-report" not in app["command"]
    doc = yaml.safe_load(_read(os.path.join(ROOT, app["command"][1])))
    assert doc.get("report"), "etl run builds the report only when the pipeline names one"
    master = environment(app)["ETL_SPARK_MASTER"]
    default = re.fullmatch(r"\$\{ETL_SPARK_MASTER:-(.+)\}", master).group(1)
    m = services["master"]
    assert default == f"spark://{m['hostname']}:{_arg(m['command'], '--port')}"
    # the pipeline really reads that variable for spark.master
    assert "ETL_SPARK_MASTER" in interpolated(doc["spark"]["master"])


def test_driver_and_executors_see_the_data_dir_at_the_same_path(compose, services):
    def mounts(service):
        out = {}
        for item in service.get("volumes", []):
            source, target = item.split(":")[:2]
            out[target] = source
        return out

    data_dir = environment(services["app"])["ETL_DATA_DIR"]
    app, worker = mounts(services["app"]), mounts(services["worker"])
    assert data_dir in app and data_dir in worker
    assert app[data_dir] == worker[data_dir]
    assert app[data_dir] in compose["volumes"]  # a named volume, not a folder of one host
    assert dockerfile_env(_read(DOCKERFILE))["ETL_DATA_DIR"] == data_dir


def test_driver_and_worker_run_one_image_so_their_python_matches(services, pyproject):
    assert services["app"]["image"] == services["worker"]["image"]
    text = _read(DOCKERFILE)
    env, args = dockerfile_env(text), dockerfile_args(text)
    venv_python = env["PYSPARK_PYTHON"]
    assert env["PYSPARK_DRIVER_PYTHON"] == venv_python
    assert f"--python {venv_python} -r /tmp/requirements.txt" in text
    venv = os.path.dirname(os.path.dirname(venv_python))
    assert f'uv venv --python "${{PYTHON_VERSION}}" {venv}' in text
    minor = args["PYTHON_VERSION"]
    assert re.fullmatch(r"3\.\d+", minor), "pin the minor version: driver and workers compare it"
    assert SpecifierSet(pyproject["project"]["requires-python"]).contains(f"{minor}.0")


def test_the_dockerfile_installs_the_pins_and_runs_etl_as_a_user(pyproject):
    text = _read(DOCKERFILE)
    steps = dockerfile_instructions(text)
    users = [rest for word, rest in steps if word == "USER"]
    assert users and users[-1] not in {"root", "0"}
    entry = [rest for word, rest in steps if word == "ENTRYPOINT"]
    assert entry and yaml.safe_load(entry[-1])[-1] == "etl"
    assert any(word == "VOLUME" and "/data" in rest for word, rest in steps)
    assert any(word == "COPY" and rest.startswith("docker/requirements.txt")
               for word, rest in steps)
    assert "--no-deps -e /app" in text  # the project itself, on top of the pinned packages


def test_the_image_holds_every_folder_the_pipeline_reads(services):
    """clickstream.yaml names its SQL templates, report and schemas by relative paths; a
    folder the image does not copy makes `etl run` fail inside the container."""
    pipeline = services["app"]["command"][1]
    doc = yaml.safe_load(_read(os.path.join(ROOT, pipeline)))
    base = os.path.dirname(pipeline)
    wanted = [doc["sql"]["templates"], doc["report"]]
    wanted += [s["schema"] for s in doc["sources"].values() if isinstance(s.get("schema"), str)]
    copied = {rest.split()[0].rstrip("/") for word, rest in dockerfile_instructions(
        _read(DOCKERFILE)) if word == "COPY" and not rest.startswith("--")}
    for rel in wanted:
        top = os.path.normpath(os.path.join(base, rel)).split(os.sep)[0]
        assert top in copied, f"{rel} (under {top}/) is not copied into the image"
    for package in ("framework", "transforms"):
        assert package in copied


# -- pinned requirements ------------------------------------------------------------------------

def test_requirements_pin_every_dependency_within_pyproject(pyproject):
    locked = pins(_read(REQUIREMENTS))
    assert all(op == "==" for op, _ in locked.values())
    for text in pyproject["project"]["dependencies"]:
        req = Requirement(text)
        name = canonicalize_name(req.name)
        assert name in locked, f"{req.name} is not pinned in docker/requirements.txt"
        assert req.specifier.contains(locked[name][1], prereleases=True), \
            f"{req.name}=={locked[name][1]} is outside pyproject's {req.specifier}"


# -- environment: .env.example and secrets ------------------------------------------------------

def test_the_env_scanner_finds_each_way_of_reading_the_environment():
    source = '''
import os
DSN = "SCAN_DSN"
a = os.environ.get("SCAN_GET")
b = os.getenv("SCAN_GETENV")
c = os.environ["SCAN_ITEM"]
d = "SCAN_IN" in os.environ
e = env.get(DSN)
f = click.option("--x", envvar=OTHER)
g = "${" + "SCAN_REF" + ":-x}"
h = os.environ.get(name_not_constant)
i = {"lower": 1}.get("NOT_ENV")
'''
    found = env_reads_in_source(source, {"OTHER": "SCAN_CLICK"})
    assert found == {"SCAN_GET", "SCAN_GETENV", "SCAN_ITEM", "SCAN_IN", "SCAN_DSN",
                     "SCAN_CLICK", "SCAN_REF"}


def test_env_example_lists_every_variable_the_project_reads():
    code = framework_env_reads()
    pipelines = pipeline_env_reads()
    # a floor, so a scanner that finds nothing cannot pass: variables the README documents
    assert {"ETL_DATA_DIR", "ETL_CLASS_ARCHIVE", "ETL_CACHE_DIR", "PG_DSN", "PG_SCHEMA",
            "JAVA_HOME", "PYSPARK_PYTHON"} <= code
    assert "ETL_SPARK_MASTER" in pipelines
    active, listed = env_example_keys()
    missing = sorted((code | pipelines) - set(active) - listed)
    assert not missing, f"docker/.env.example does not list {missing}"


def test_env_example_and_compose_agree(compose):
    """Every variable compose interpolates is in .env.example, and every setting there is
    used by compose (a setting nobody reads is a lie)."""
    active, _ = env_example_keys()
    used = interpolated(compose)
    assert used - set(active) == set(), f"compose reads {sorted(used - set(active))}"
    assert set(active) - used == set(), f".env.example sets {sorted(set(active) - used)}"


def test_no_secret_is_committed(compose, services):
    active, _ = env_example_keys()
    for key, value in active.items():
        if _SECRET_NAME.search(key):
            assert value == "", f".env.example gives {key} a value"
    for name, service in services.items():
        for key, value in environment(service).items():
            if _SECRET_NAME.search(key):
                # a required reference: no default value, so nothing secret sits in the file
                assert re.fullmatch(r"\$\{[A-Z_][A-Z0-9_]*(:?\?[^}]*)?\}", value), \
                    f"{name}: {key} must be ${{VAR:?...}}, not {value!r}"
    for text in strings(compose):
        plain = re.sub(r"\$\{[^}]*\}", "REF", text)  # ${USER:-etl} is no password
        for m in re.finditer(r"://[^/\s:@]+:([^@\s]+)@", plain):
            assert m.group(1) == "REF", f"a password written into a URL: {text}"
    assert "password" not in environment(services["app"])["PG_DSN"].lower()


def test_the_secret_file_stays_out_of_git_and_the_image():
    ignore = _read(os.path.join(DOCKER, "Dockerfile.dockerignore")).splitlines()
    assert "**/.env" in ignore  # out of the image, checked in any copy of the project
    if not os.path.exists(os.path.join(ROOT, ".git")):  # a source archive: no git to ask
        pytest.skip("not a git checkout: whether git ignores docker/.env cannot be asked")
    out = subprocess.run(["git", "check-ignore", "-q", "docker/.env"], cwd=ROOT)
    assert out.returncode == 0, "docker/.env is not git-ignored"
