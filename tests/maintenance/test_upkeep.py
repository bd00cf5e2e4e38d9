"""The weekly VACUUM (ANALYZE) and the hourly disk-usage report."""

from __future__ import annotations

from sitespeak.maintenance import upkeep


def test_vacuum_analyze_covers_the_busy_tables(db):
    assert set(upkeep.vacuum_analyze()) == set(upkeep.BUSY_TABLES)


def test_disk_usage_reports_the_database_and_state_dir_and_warns_below_the_threshold(db, tmp_path):
    (tmp_path / "audio").mkdir()
    (tmp_path / "audio" / "a.pcm").write_bytes(b"\0" * 4096)
    calm = upkeep.disk_usage(tmp_path, warn_free_percent=0)
    assert calm["database_bytes"] > 0 and calm["state_dir_bytes"] == 4096
    assert 0 < calm["disk_free_percent"] <= 100 and calm["warning"] is False
    assert upkeep.disk_usage(tmp_path, warn_free_percent=100.0)["warning"] is True
