# The driver of a persistent Python session, run inside the sandbox as
# `python3 -u -c DRIVER`. It speaks one JSON object per line: requests on
# stdin ({"code": ..., "cpu": seconds, "max": bytes}), answers on stdout
# ({"status": "ok"|"error", "stdout": ..., "stderr": ..., "stdout_size": n,
# "stderr_size": n}). The code of each request runs in one lasting __main__
# namespace, like a notebook cell: a final expression's value is printed.
# Its output (and its children's) goes to files, not to the protocol pipe:
# file descriptors 1 and 2 point at them during a call and at /dev/null
# between calls, and the protocol uses copies of the original descriptors.
import ast
import json
import linecache
import os
import resource
import sys
import tempfile
import traceback
import types


def _read(f, limit):
    size = os.fstat(f.fileno()).st_size
    f.seek(0)
    data = f.read(limit)
    f.close()
    return data.decode("utf-8", "replace"), size


_cells = [0]


def _run(req, ns, null):
    _cells[0] += 1
    name = "<cell %d>" % _cells[0]
    # Tracebacks then show the lines of the cell, even of earlier cells.
    linecache.cache[name] = (len(req["code"]), None, req["code"].splitlines(True), name)
    limit = int(req.get("max", 32768))
    cpu = req.get("cpu")
    if cpu:
        used = resource.getrusage(resource.RUSAGE_SELF)
        soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
        want = int(used.ru_utime + used.ru_stime + cpu) + 1
        if hard != resource.RLIM_INFINITY:
            want = min(want, hard)
        resource.setrlimit(resource.RLIMIT_CPU, (want, hard))
    out = tempfile.TemporaryFile()
    err = tempfile.TemporaryFile()
    os.dup2(out.fileno(), 1)
    os.dup2(err.fileno(), 2)
    status = "ok"
    try:
        tree = ast.parse(req["code"], name, "exec")
        last = None
        if tree.body and isinstance(tree.body[-1], ast.Expr):
            last = ast.Expression(tree.body.pop().value)
        exec(compile(tree, name, "exec"), ns)
        if last is not None:
            value = eval(compile(last, name, "eval"), ns)
            if value is not None:
                print(repr(value))
    except SystemExit as e:
        status = "error"
        print("SystemExit:", e.code, "(the session goes on)", file=sys.stderr)
    except BaseException as e:
        status = "error"
        tb = e.__traceback__
        # Drop the driver's own frames from the traceback.
        while tb is not None and not tb.tb_frame.f_code.co_filename.startswith("<cell"):
            tb = tb.tb_next
        traceback.print_exception(type(e), e, tb)
    finally:
        for s in (sys.stdout, sys.stderr):
            try:
                s.flush()
            except Exception:
                pass
        os.dup2(null, 1)
        os.dup2(null, 2)
    stdout, stdout_size = _read(out, limit)
    stderr, stderr_size = _read(err, limit)
    return {"status": status, "stdout": stdout, "stderr": stderr,
            "stdout_size": stdout_size, "stderr_size": stderr_size}


def _main():
    rin = os.fdopen(os.dup(0), "r", encoding="utf-8")
    rout = os.fdopen(os.dup(1), "w", encoding="utf-8")
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    main = types.ModuleType("__main__")
    main.__dict__["__builtins__"] = __builtins__
    sys.modules["__main__"] = main
    sys.path.insert(0, os.getcwd())
    rout.write(json.dumps({"ready": True}) + "\n")
    rout.flush()
    for line in rin:
        res = _run(json.loads(line), main.__dict__, null)
        rout.write(json.dumps(res) + "\n")
        rout.flush()


_main()
