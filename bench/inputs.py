"""Generated inputs shared by the bench scripts of one `make bench` run.

bench/graph/run.py and bench/graph/khop2.py both need the STRING-like
links file (10M lines at full size); bench/codecs/run.py and
bench/mount/protein_db.py both need the 500,000 generated proteins. Each
asks here for its input by name, generator and parameters:

    d = inputs.shared("string", make, {"proteins": 20000, "lines": L},
                      code=(make, write_string), work=work)

make(d, **params) writes the files into the directory d. The input lives
in ROOT/<name>-<key>/, ROOT being $GENOMEDB_BENCH_INPUTS (`make bench`
sets $(BENCH_OUT)/inputs) or else the script's own work directory (so a
script run by hand generates its input as it always did). The key is a
hash of the name, the parameters, the source text of the generator
functions (`code`) and the size and mtime of the files it reads
(`sources`): the same key means the same bytes. A directory is made
under a temporary name and renamed into place when complete, so a run
stopped half way leaves nothing that looks whole; the first script of a
run generates it, the next finds it. Making one removes the older
versions of the same input (another key) and temporary directories of
processes that are gone.
"""
import hashlib
import inspect
import json
import os
import shutil

ENV = "GENOMEDB_BENCH_INPUTS"


def key_of(name, params, code=(), sources=()):
    """The key of an input: what its bytes depend on, as a dict."""
    src = [(os.path.abspath(p), os.path.getsize(p), int(os.path.getmtime(p))) for p in sources]
    text = "".join(inspect.getsource(f) for f in code)
    return {"name": name, "params": params, "sources": src,
            "code": hashlib.sha256(text.encode()).hexdigest()}


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _tidy(root, name):
    """Remove the other versions of input `name` and temporaries of dead
    processes (.name-key.PID.tmp)."""
    for f in os.listdir(root):
        p = os.path.join(root, f)
        if f.startswith(name + "-") and os.path.isdir(p):
            shutil.rmtree(p, ignore_errors=True)
        elif f.startswith(f".{name}-") and f.endswith(".tmp"):
            pid = f.rsplit(".", 2)[-2]
            if not pid.isdigit() or not _alive(int(pid)):
                shutil.rmtree(p, ignore_errors=True)


def shared(name, make, params, code=(), sources=(), work=None, log=None):
    """The directory holding input `name`: found with the same key, else
    made by make(dir, **params). Returns its path."""
    root = os.environ.get(ENV) or work
    if not root:
        raise ValueError(f"no directory for input {name}: set {ENV} or pass work")
    os.makedirs(root, exist_ok=True)
    key = key_of(name, params, code, sources)
    h = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]
    final = os.path.join(root, f"{name}-{h}")
    try:
        with open(os.path.join(final, "key.json"), encoding="utf-8") as f:
            if json.load(f) == key:
                if log:
                    log(f"{name}: the generated input of this key is there ({final})")
                return final
    except (OSError, ValueError):
        pass
    _tidy(root, name)
    tmp = os.path.join(root, f".{name}-{h}.{os.getpid()}.tmp")
    os.makedirs(tmp)
    try:
        make(tmp, **params)
        with open(os.path.join(tmp, "key.json"), "w", encoding="utf-8") as f:
            json.dump(key, f, indent=1, sort_keys=True)
        os.rename(tmp, final)
    except OSError:
        # another process put the same input in place first: use its copy
        shutil.rmtree(tmp, ignore_errors=True)
        if not os.path.isfile(os.path.join(final, "key.json")):
            raise
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final
