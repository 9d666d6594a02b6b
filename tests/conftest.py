"""Fixtures shared by every test layer.

`fixture_archive`: the project's generated fixture archive (listhaven.demo.messages.fixture_archive),
imported once per test session into the test database through the real ingest; tests that use it
get the lists by short name. Tests must not modify it (use `db` and your own data for that).

`golden`: checks a golden file against what the code produces now (tests/support/golden.py);
``pytest --regen-golden`` rewrites the golden files instead, to be reviewed as a diff.

`local_dns`: a real DNS server on 127.0.0.1 (tests/support/dns_server.py) for DMARC and DKIM lookups.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import settings

# Property tests check what the code does, not how fast: Hypothesis's default deadline (200 ms an
# example) failed them on a loaded machine (a first call importing a module, a scheduler's pause).
# Speed is measured by `make bench`.
settings.register_profile("listhaven", deadline=None)
settings.load_profile("listhaven")

REPO = Path(__file__).resolve().parents[1]
SHARED = (REPO / ".." / "shared").resolve()
CORPORA = SHARED / "corpora"


def pytest_addoption(parser: pytest.Parser) -> None:
    from tests.support.golden import REGEN_OPTION

    parser.addoption(
        REGEN_OPTION, action="store_true", default=False,
        help="rewrite golden files (inputs and expected .json) from the current code; review with git diff",
    )


@pytest.fixture
def golden(request: pytest.FixtureRequest):
    from tests.support.golden import REGEN_OPTION, Golden

    return Golden(regen=bool(request.config.getoption(REGEN_OPTION)))


def corpus_path(name: str) -> Path:
    """A file of ../shared/corpora, or a clean skip when that folder is not beside the project."""
    path = CORPORA / name
    if not path.exists():
        pytest.skip(f"corpus {name} not found at {path} (../shared/corpora is absent here)")
    return path


def _import_fixture_archive() -> None:
    from listhaven.archive.importer import parse_one
    from listhaven.archive.ingest import store_batch
    from listhaven.demo.messages import fixture_archive as generate
    from listhaven.lists.directory import create_list
    from listhaven.mail.message import SourceMessage

    by_address: dict[str, list] = {}
    specs = {}
    for n, (spec, raw) in enumerate(generate()):
        specs[spec.address] = spec
        by_address.setdefault(spec.address, []).append(parse_one(SourceMessage(raw, f"fixture#{n + 1}")))
    for address, parsed in by_address.items():
        spec = specs[address]
        mlist = create_list(address, description=spec.description, subject_tag=spec.subject_tag)
        for start in range(0, len(parsed), 100):
            store_batch(mlist, parsed[start : start + 100])


@pytest.fixture(scope="module")
def fixture_archive(django_db_setup, django_db_blocker):
    """Imported once, and again in a module that finds it gone: a test using transactional_db
    (a live server thread needs committed data) empties every table when it ends."""
    from listhaven.lists.models import MailingList
    with django_db_blocker.unblock():
        if not MailingList.objects.filter(name__in=["harbour-dev", "allotment", "reading-circle"]).exists():
            _import_fixture_archive()
        yield {m.name: m for m in MailingList.objects.all()}


@pytest.fixture(autouse=True)
def _no_proxy_env(monkeypatch):
    # Tests talk to servers on 127.0.0.1 only; a proxy setting must never route them elsewhere.
    for var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        monkeypatch.delenv(var, raising=False)
    os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")


@pytest.fixture
def local_dns():
    """A real DNS server on 127.0.0.1 (tests/support/dns_server.py), empty; `local_dns.set(name, [txt])`
    adds records, `local_dns.resolver()` is a dnspython resolver that asks only it."""
    from tests.support.dns_server import LocalDNS

    with LocalDNS() as server:
        yield server


@pytest.fixture(scope="session", autouse=True)
def _site_dns():
    """No test asks the internet's DNS: the list server's lookups (DMARC policies) go to an empty server
    on 127.0.0.1, in this process (DNS_RESOLVER) and in the commands tests start (the environment),
    unless a test points DNS_RESOLVER at its own `local_dns`."""
    from django.conf import settings

    from tests.support.dns_server import LocalDNS

    with LocalDNS() as server:
        address = f"127.0.0.1:{server.port}"
        saved = os.environ.get("LISTHAVEN_DNS_RESOLVER")
        os.environ["LISTHAVEN_DNS_RESOLVER"] = address
        settings.DNS_RESOLVER = address
        yield server
        if saved is None:
            os.environ.pop("LISTHAVEN_DNS_RESOLVER", None)
        else:
            os.environ["LISTHAVEN_DNS_RESOLVER"] = saved


@pytest.fixture(scope="session", autouse=True)
def _postfix_maps_elsewhere(tmp_path_factory):
    """The Postfix tables a list's creation writes (lists/postfix_maps.py) go to a directory of the
    test session, in this process and in the commands tests start, never into ./listhaven-data;
    a test that reads them points POSTFIX_MAPS_DIR at its own."""
    from django.conf import settings

    directory = tmp_path_factory.mktemp("postfix-maps")
    saved = os.environ.get("LISTHAVEN_POSTFIX_MAPS")
    os.environ["LISTHAVEN_POSTFIX_MAPS"] = str(directory)
    settings.POSTFIX_MAPS_DIR = directory
    yield directory
    if saved is None:
        os.environ.pop("LISTHAVEN_POSTFIX_MAPS", None)
    else:
        os.environ["LISTHAVEN_POSTFIX_MAPS"] = saved


_WORKER_FIGURES: list[str] = []


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error) -> None:
    """Under pytest-xdist (make test), the reliability figures each worker recorded
    (tests/reliability/conftest.py), printed by this main process at the end of the run."""
    _WORKER_FIGURES.extend(getattr(node, "workeroutput", {}).get("reliability_figures", []))


def pytest_terminal_summary(terminalreporter) -> None:
    if _WORKER_FIGURES:
        terminalreporter.section("reliability figures")
        for line in _WORKER_FIGURES:
            terminalreporter.write_line(line)


def _unique_node_ids(items: list[pytest.Item]) -> None:
    """Schemathesis names each generated test after its operation (`test_x[GET /api/lists]`), but on this
    pytest their node ids all read `test_x`; pytest-xdist (make test) tracks tests by node id and, with
    --dist loadfile, would run one test of each such group only. A repeated node id becomes the item's
    parent and full name, as pytest writes a parametrized test's."""
    counts = Counter(item.nodeid for item in items)
    for item in items:
        if counts[item.nodeid] > 1 and item.parent is not None and not item.nodeid.endswith("::" + item.name):
            item._id = type(item._id).parse(f"{item.parent.nodeid}::{item.name}")  # type: ignore[attr-defined]
    repeated = [nodeid for nodeid, n in Counter(item.nodeid for item in items).items() if n > 1]
    if repeated:
        raise pytest.UsageError(f"tests with the same node id (pytest-xdist would run one of each): {repeated[:5]}")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On the PostgreSQL run (tests/postgres/suite.py) a test marked `sqlite_only(reason=...)` is skipped
    with its reason, and browser tests are skipped: they run once, on SQLite, since what they look at is
    the page, which the web layer renders the same from either database."""
    from tests.support.databases import on_postgres

    _unique_node_ids(items)
    for item in items:
        for mark in item.iter_markers("sqlite_only"):
            if not mark.kwargs.get("reason"):
                raise pytest.UsageError(f"{item.nodeid}: sqlite_only needs reason=... (why not on PostgreSQL)")
    if not on_postgres():
        return
    for item in items:
        mark = item.get_closest_marker("sqlite_only")
        if mark is not None:
            item.add_marker(pytest.mark.skip(reason=f"SQLite only: {mark.kwargs['reason']}"))
        elif item.get_closest_marker("browser") is not None:
            item.add_marker(pytest.mark.skip(reason="browser tests run once, on the SQLite run"))


@pytest.fixture(autouse=True)
def _processes_get_their_own_database(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch):
    """On the PostgreSQL run, the `listhaven` processes a test starts (any test of a module that uses
    subprocess) find an empty database of their own through DATABASE_URL, as they find an empty data
    directory on SQLite; the test database itself belongs to this process."""
    from tests.support.databases import create_database, drop_database, on_postgres

    if not on_postgres() or "subprocess" not in vars(request.module):
        yield
        return
    cluster = os.environ["DATABASE_URL"]
    url = create_database(cluster)
    monkeypatch.setenv("DATABASE_URL", url)
    yield
    drop_database(cluster, url)


def _transactional(request: pytest.FixtureRequest) -> bool:
    """Whether the test's data is committed, so Django flushes every model's table after it: it asks for
    transactional_db or live_server, or is marked django_db(transaction=True) (or reset_sequences)."""
    if {"transactional_db", "live_server"} & set(request.fixturenames):
        return True
    marker = request.node.get_closest_marker("django_db")
    return marker is not None and bool(marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences"))


@pytest.fixture(autouse=True)
def _rate_limit_counts_end_with_the_test(request: pytest.FixtureRequest, django_db_blocker):
    """Rate limits count in the database cache table, which the flush after a transactional test leaves
    alone (it is no model's): emptied here, so one test's counts never hold back the next."""
    yield
    if _transactional(request):
        from django.core.cache import caches

        with django_db_blocker.unblock():
            caches["ratelimit"].clear()


@pytest.fixture(autouse=True)
def _search_index_ends_with_the_test(request: pytest.FixtureRequest, django_db_blocker):
    """SQLite's search index (an FTS5 table, no model's) is left alone by the flush after a transactional
    test too, while the ingest numbers messages from max(id) + 1 of the emptied table: the next test's
    first message got the flushed one's id, and the index answered for it with both messages' words and
    facets (a post of tests/delivery/test_lmtp.py with a PDF made another test's message match
    has:attachment, when `-n 2 --dist loadfile` ran that file first on the same worker). Emptied here;
    PostgreSQL's search tables follow the flush's TRUNCATE by a trigger (search/postgres.py)."""
    yield
    if _transactional(request):
        from django.db import connection

        from listhaven.search.fts5 import TABLE

        with django_db_blocker.unblock():
            if connection.vendor == "sqlite" and TABLE in connection.introspection.table_names():
                with connection.cursor() as cursor:
                    cursor.execute(f"INSERT INTO {TABLE}({TABLE}) VALUES ('delete-all')")


@pytest.fixture
def wsgi_keeps_connection():
    """For a test that calls the site's WSGI application itself inside its transaction: as Django's test
    client does, the request's end must not close the test's database connection (on SQLite the in-memory
    test database ignores the close; PostgreSQL loses the connection and the test's rows)."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)
