"""install.sh puts the binary and the embedded model under a prefix; the installed binary (run from any
working directory, or through a symlink elsewhere) finds its model without --model or UNMASK_MODEL."""
import os, pathlib, subprocess

ROOT = pathlib.Path(__file__).resolve().parents[2]

def test_installed_binary_finds_its_model_from_anywhere(unmask_bin, tmp_path):
    prefix = tmp_path / "prefix"
    env = {k: v for k, v in os.environ.items() if k != "UNMASK_MODEL"}
    r = subprocess.run(["bash", str(ROOT / "install.sh"), "--prefix", str(prefix), "--no-build"], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    exe = prefix / "bin" / "unmask"
    assert exe.exists() and (prefix / "share/unmask/models/unmask-code-4m/config.json").exists()
    assert (prefix / "share/unmask/editors/neovim/lua/unmask/init.lua").exists()
    sample = tmp_path / "elsewhere" / "x.py"
    sample.parent.mkdir()
    sample.write_text("def add(a, b):\n    return \n")
    link_dir = tmp_path / "links"; link_dir.mkdir()
    (link_dir / "unmask").symlink_to(exe)
    # By absolute path, through a symlink, and found on PATH by name (argv[0] is then just "unmask").
    on_path = dict(env, PATH=f"{link_dir}:{env.get('PATH', '')}")
    for program, e in ((str(exe), env), (str(link_dir / "unmask"), env), ("unmask", on_path)):
        p = subprocess.run([program, "fill", str(sample), "--at", "2:12", "--tokens", "8"], capture_output=True, text=True,
                           env=e, cwd=sample.parent, timeout=60)
        assert p.returncode == 0, p.stderr
        assert "forward passes" in p.stderr

def test_unknown_install_option_is_named(tmp_path):
    r = subprocess.run(["bash", str(ROOT / "install.sh"), "--bogus"], capture_output=True, text=True)
    assert r.returncode == 2 and "--bogus" in r.stderr
