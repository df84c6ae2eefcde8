# SPDX-License-Identifier: Apache-2.0
"""The NumPy side of the export test (export_test.cpp): reads a prediction trace of `amlz eval --predictions` (the
tasks' data), runs an algorithm exported by `amlz export --format numpy` on every task through its own driver
(run_task), and writes what it predicted in the trace's format.

    python3 export_harness.py MODULE.py TRACE OUT [MODULE.py TRACE OUT ...]
"""
import importlib.util
import sys


def read_trace(path):
    seed, tasks = 0, []
    with open(path) as f:
        for line in f:
            words = line.split()
            if not words:
                continue
            key, values = words[0], words[1:]
            if key == "seed":
                seed = int(values[0])
            elif key == "task":
                fields = dict(zip(values[1::2], values[2::2]))
                tasks.append({"index": int(values[0]), "features": int(fields["features"]),
                              "accuracy": fields["eval"] == "accuracy", "epochs": int(fields["epochs"]),
                              "max_abs_error": float(fields["max_abs_error"])})
            elif key in ("train_x", "train_y", "valid_x", "valid_y"):
                tasks[-1][key] = [float(v) for v in values]
            elif key == "order":
                tasks[-1]["order"] = [int(v) for v in values]
    return seed, tasks


def load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(argv):
    if len(argv) % 3 != 0 or not argv:
        sys.exit("usage: export_harness.py MODULE.py TRACE OUT [...]")
    for k in range(0, len(argv), 3):
        module = load(argv[k], "exported_%d" % (k // 3))
        np = module.np
        seed, tasks = read_trace(argv[k + 1])
        with open(argv[k + 2], "w") as out:
            for t in tasks:
                f = t["features"]
                run = module.run_task(np.array(t["train_x"], dtype=np.float32).reshape(-1, f), t["train_y"],
                                      np.array(t["valid_x"], dtype=np.float32).reshape(-1, f), t["valid_y"],
                                      epochs=t["epochs"], order=t["order"], classification=t["accuracy"],
                                      max_abs_error=t["max_abs_error"], seed=seed, task=t["index"])
                out.write("task %d\n" % t["index"])
                out.write(" ".join(["train_predictions"] + [repr(float(p)) for p in run["train_predictions"]]) + "\n")
                for e, predictions in enumerate(run["valid_predictions"]):
                    out.write(" ".join(["valid_predictions", str(e)] + [repr(float(p)) for p in predictions]) + "\n")
                out.write("result %r %s\n" % (run["fitness"], "stopped" if run["stopped"] else "ran"))


if __name__ == "__main__":
    main(sys.argv[1:])
