"""The per-file stage on local processes and on a real Dask cluster gives the serial output."""

from __future__ import annotations

import hashlib

import pytest

from tests.conftest import INBOX
from toolkit.consolidate import consolidate
from toolkit.consolidate.workbook import write_workbook
from toolkit.parallel import executor_for
from toolkit.spool import Spool


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def serial(sample_config, tmp_path_factory):
    out = tmp_path_factory.mktemp("serial") / "serial.xlsx"
    write_workbook(consolidate(INBOX, sample_config), sample_config, out, {})
    return _digest(out)


def _run(config, tmp_path, executor):
    out = tmp_path / "out.xlsx"
    result = consolidate(INBOX, config, executor=executor, spool=Spool(tmp_path / "spool"))
    assert all(f.spooled and not f.records for f in result.report.files if f.template)
    write_workbook(result, config, out, {})
    return _digest(out)


def test_local_processes_match_serial(serial, sample_config, tmp_path):
    with executor_for(workers=2) as executor:
        assert executor is not None
        assert _run(sample_config, tmp_path, executor) == serial


def test_dask_local_cluster_matches_serial(serial, sample_config, tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as cluster, \
            executor_for(dask=cluster.scheduler_address) as executor:
        assert _run(sample_config, tmp_path, executor) == serial


def test_unreachable_scheduler_is_a_usage_error(monkeypatch):
    from toolkit import parallel
    from toolkit.errors import UsageError

    pytest.importorskip("distributed")
    monkeypatch.setattr(parallel, "DASK_CONNECT_TIMEOUT", "1s")
    with pytest.raises(UsageError), executor_for(dask="tcp://127.0.0.1:9"):
        pass


def test_cli_dask_and_workers_write_the_same_workbook(tmp_path):
    from click.testing import CliRunner

    from tests.conftest import SAMPLE
    from toolkit.cli import cli

    distributed = pytest.importorskip("distributed")
    base = ["consolidate", str(INBOX), "--config", str(SAMPLE / "federation.toml"),
            "--no-register", "--out"]
    runner = CliRunner()
    assert runner.invoke(cli, [*base, str(tmp_path / "one.xlsx"), "--workers", "1"]).exit_code == 1
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as cluster:
        result = runner.invoke(cli, [*base, str(tmp_path / "dask.xlsx"), "--dask",
                                     cluster.scheduler_address])
    assert result.exit_code == 1, result.output
    assert _digest(tmp_path / "one.xlsx") == _digest(tmp_path / "dask.xlsx")
