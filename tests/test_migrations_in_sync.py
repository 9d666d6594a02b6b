"""The models and the migrations say the same: a model changed without its migration would work in the
tests' freshly migrated databases only by luck, and break every store upgraded in the field. Also no two
migrations of one app may claim to be its latest (two branches each adding 00NN)."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_every_model_change_has_its_migration():
    out = io.StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit as exit:  # --check exits 1 when a migration is missing
        pytest.fail(f"makemigrations finds model changes without a migration (exit {exit.code}):\n{out.getvalue()}")
    assert "No changes detected" in out.getvalue()
