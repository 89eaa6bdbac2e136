"""Demo mode (``unionkit serve --demo``): the desk over the sample federation, ready to try.

The demo's inbox is its own folder (never the bundled ``sample_data/inbox``: a clerk's upload
there would change the sample), filled with the sample's files the first time, so the
treasurer's matrix and 汇总 have a period to show. Each start gives fresh codes for one clerk,
the treasurer and an auditor, and revokes the codes an earlier demo gave.
"""

from __future__ import annotations

from pathlib import Path

from ..config import FederationConfig
from ..register import Register

#: The label of the codes a demo gives (an earlier demo's are revoked by it).
DEMO_LABEL = "演示 demo"


def demo_inbox(register_path: Path) -> Path:
    """Where the demo's inbox lives when ``--inbox`` is not given: beside the register."""
    return Path(register_path).parent / "desk-demo-inbox"


def prepare_demo(config: FederationConfig, inbox: Path,
                 register_path: Path) -> list[tuple[str, str | None, str]]:
    """Fill an empty demo inbox with the sample's files (recorded as validated, as ``unionkit
    validate`` would) and give the demo's codes: (role,
    branch, code) for a clerk of the first branch, the treasurer and an auditor."""
    from ..sample import build_sample, write_files
    from ..validate import findings_only, validate_paths
    from ..validate.cross import supersede

    filled = not inbox.is_dir() or not any(inbox.iterdir())
    if filled:
        write_files(build_sample(config).files, config, inbox)
    branch = config.branches[0].code if config.branches else None
    with Register(register_path) as register:
        if filled:  # the matrix shows the sample's period from the first page on
            report = validate_paths([inbox], config, base=inbox, extract=findings_only)
            supersede(report.files)
            register.record_validation(report.files, str(inbox.resolve()), {"demo": True})
        for grant in register.grants():
            if grant["label"] == DEMO_LABEL and grant["revoked"] is None:
                register.revoke(grant["id"])
        wanted = [("clerk", branch)] if branch else []
        return [(role, code_branch, register.grant(role, code_branch, DEMO_LABEL)[1])
                for role, code_branch in [*wanted, ("treasurer", None), ("auditor", None)]]
