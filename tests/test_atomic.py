import os

import pytest

from w2v_nce.errors import UserError
from w2v_nce.io.atomic import atomic_output, check_writable_output


def _leftovers(directory):
    return sorted(name for name in os.listdir(directory) if name.endswith(".tmp"))


def test_writes_file_and_leaves_no_temp(tmp_path):
    target = tmp_path / "out.bin"
    with atomic_output(target) as fh:
        fh.write(b"hello")
        # Nothing is visible at the destination until the block finishes.
        assert not target.exists()
        assert _leftovers(tmp_path) != []
    assert target.read_bytes() == b"hello"
    assert _leftovers(tmp_path) == []


def test_temp_file_is_in_same_directory_with_expected_name(tmp_path):
    target = tmp_path / "vectors.txt"
    with atomic_output(target) as fh:
        fh.write(b"x")
        names = _leftovers(tmp_path)
        assert len(names) == 1
        assert names[0].startswith(".vectors.txt.")


def test_replaces_existing_file(tmp_path):
    target = tmp_path / "out.txt"
    target.write_bytes(b"old")
    with atomic_output(target) as fh:
        fh.write(b"new contents")
    assert target.read_bytes() == b"new contents"


@pytest.mark.parametrize("exc_type", [RuntimeError, KeyboardInterrupt, UserError])
def test_exception_keeps_existing_file_and_removes_temp(tmp_path, exc_type):
    target = tmp_path / "out.txt"
    original = b"precious\x00data\n" * 100
    target.write_bytes(original)
    with pytest.raises(exc_type):
        with atomic_output(target) as fh:
            fh.write(b"partial" * 100_000)
            raise exc_type("boom")
    assert target.read_bytes() == original
    assert _leftovers(tmp_path) == []
    assert sorted(os.listdir(tmp_path)) == ["out.txt"]


def test_exception_without_existing_file_creates_nothing(tmp_path):
    target = tmp_path / "new.bin"
    with pytest.raises(ValueError, match="boom"):
        with atomic_output(target) as fh:
            fh.write(b"abc")
            raise ValueError("boom")
    assert os.listdir(tmp_path) == []


def test_out_of_space_becomes_user_error(tmp_path):
    import errno

    target = tmp_path / "out.bin"
    with pytest.raises(UserError, match="No space left") as info:
        with atomic_output(target):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    assert "\n" not in str(info.value)
    assert os.listdir(tmp_path) == []


def test_new_file_gets_umask_permissions_not_mkstemp_0600(tmp_path):
    old = os.umask(0o022)
    try:
        with atomic_output(tmp_path / "out.txt") as fh:
            fh.write(b"x")
    finally:
        os.umask(old)
    assert os.stat(tmp_path / "out.txt").st_mode & 0o777 == 0o644


def test_replacing_keeps_existing_permissions(tmp_path):
    target = tmp_path / "out.txt"
    target.write_bytes(b"old")
    os.chmod(target, 0o640)
    with atomic_output(target) as fh:
        fh.write(b"new")
    assert os.stat(target).st_mode & 0o777 == 0o640


def test_symlink_target_is_updated(tmp_path):
    real = tmp_path / "real.txt"
    real.write_bytes(b"old")
    link = tmp_path / "link.txt"
    link.symlink_to(real)
    with atomic_output(link) as fh:
        fh.write(b"new")
    assert link.is_symlink()
    assert real.read_bytes() == b"new"


def test_atomic_output_refuses_directory(tmp_path):
    with pytest.raises(UserError, match="is a directory"):
        with atomic_output(tmp_path):
            pass


def test_check_writable_accepts_new_and_existing_files_and_leaves_no_trace(tmp_path):
    """The probe creates and removes a temporary file: nothing new, nothing changed."""
    (tmp_path / "old.txt").write_text("x")
    before = (tmp_path / "old.txt").stat()
    check_writable_output(tmp_path / "new.txt")
    check_writable_output(tmp_path / "old.txt")
    check_writable_output(str(tmp_path / "new.txt"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.txt"]
    after = (tmp_path / "old.txt").stat()
    assert (tmp_path / "old.txt").read_text() == "x"
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_check_writable_missing_directory(tmp_path):
    with pytest.raises(UserError) as info:
        check_writable_output(tmp_path / "nope" / "out.txt")
    message = str(info.value)
    assert "does not exist" in message
    assert str(tmp_path / "nope") in message
    assert "\n" not in message


def test_check_writable_path_is_directory(tmp_path):
    (tmp_path / "sub").mkdir()
    with pytest.raises(UserError, match="is a directory") as info:
        check_writable_output(tmp_path / "sub")
    assert "\n" not in str(info.value)


def test_check_writable_refuses_non_regular_file(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(UserError, match="not a regular file"):
        check_writable_output(fifo)


def test_check_writable_unwritable_directory(tmp_path, monkeypatch):
    # os.access is always true for root, so simulate a read-only directory.
    real_access = os.access

    def fake_access(path, mode, *args, **kwargs):
        if os.path.realpath(path) == os.path.realpath(tmp_path) and mode & os.W_OK:
            return False
        return real_access(path, mode, *args, **kwargs)

    monkeypatch.setattr(os, "access", fake_access)
    with pytest.raises(UserError, match="not writable") as info:
        check_writable_output(tmp_path / "out.txt")
    assert "\n" not in str(info.value)
