"""PCA and t-SNE side by side: Atelier against scikit-learn (full and randomized
SVD; Barnes-Hut t-SNE) and openTSNE (FFT t-SNE) on this machine, in one run.
Also writes the scikit-learn reference fixtures the tests compare against.

Run: bench/analysis   (installs scikit-learn and openTSNE into .bench-venv)
"""
import gzip
import json
import os
import subprocess
import sys
import time

import numpy as np

os.environ.setdefault("OMP_NUM_THREADS", "2")
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..")
FIXTURES = os.path.join(ROOT, "Tests", "Fixtures")
DATA = os.environ.get("ATELIER_DATA", "/usr/share/datasets/fashion-mnist")
ATELIER = os.path.join(ROOT, ".build", "release", "atelier")

from sklearn.decomposition import PCA  # noqa: E402
from sklearn.manifold import TSNE, trustworthiness  # noqa: E402
from sklearn.metrics import classification_report, confusion_matrix  # noqa: E402


def idx(name, offset):
    with gzip.open(os.path.join(DATA, name), "rb") as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)


def atelier(notebook, *settings):
    args = [ATELIER, "run", os.path.join(HERE, notebook)] + [f"--set={s}" for s in settings]
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    return {line.split()[0]: line.split()[1:] for line in out.splitlines() if line.strip()}


def report_fixture():
    rng = np.random.default_rng(7)
    truth = rng.integers(0, 10, 500)
    predicted = np.where(rng.random(500) < 0.7, truth, rng.integers(0, 10, 500))
    predicted[predicted == 9] = 8  # class 9 is never predicted: zero-division handling
    names = [str(i) for i in range(10)]
    rep = classification_report(truth, predicted, labels=list(range(10)), target_names=names, output_dict=True, zero_division=0)
    fixture = {
        "predicted": predicted.tolist(),
        "truth": truth.tolist(),
        "confusion": confusion_matrix(truth, predicted, labels=list(range(10))).tolist(),
        "report": rep,
    }
    with open(os.path.join(FIXTURES, "sklearn_report.json"), "w") as f:
        json.dump(fixture, f, indent=1)


report_fixture()

# ---- PCA ----
train = idx("train-images-idx3-ubyte.gz", 16).reshape(60000, 784).astype(np.float32) / 255
rows = []
for solver in ["full", "randomized"]:
    start = time.perf_counter()
    model = PCA(n_components=10, svd_solver=solver, random_state=0).fit(train)
    rows.append((f"scikit-learn ({solver})", time.perf_counter() - start, model.explained_variance_ratio_))
    if solver == "full":
        with open(os.path.join(FIXTURES, "pca_sklearn.json"), "w") as f:
            json.dump({"explained_variance_ratio": model.explained_variance_ratio_.tolist()}, f, indent=1)
out = atelier("pca.atl")
ours = np.array([float(x) for x in out["pca_ratios"]])
rows.insert(0, ("Atelier", float(out["pca_seconds"][0]), ours))
reference = rows[1][2]
print("PCA of 60,000 x 784 training pixels, 10 components")
print(f"{'':24} {'seconds':>8} {'max |EVR - full|':>18}")
for name, seconds, ratios in rows:
    print(f"{name:24} {seconds:8.2f} {np.abs(ratios - reference).max():18.2e}")
for name, seconds, _ in rows[1:]:
    print(f"time ratio Atelier / {name}: {rows[0][1] / seconds:.2f}")

# ---- t-SNE ----
test = idx("t10k-images-idx3-ubyte.gz", 16).reshape(10000, 784).astype(np.float32) / 255
reduced = PCA(n_components=50, random_state=0).fit_transform(test)
subset = np.random.default_rng(0).choice(10000, 2000, replace=False)


def trust(embedding):
    return trustworthiness(reduced[subset], embedding[subset], n_neighbors=10)


results = []
csv = os.path.join("/tmp", "atelier-tsne.csv")
out = atelier("tsne.atl", f"out={csv}")
ours = np.loadtxt(csv, delimiter=",", skiprows=1, usecols=(0, 1))
results.append(("Atelier (Barnes-Hut)", float(out["tsne_seconds"][0]), float(out["tsne_kl"][0]), trust(ours)))

start = time.perf_counter()
sk = TSNE(n_components=2, perplexity=30, method="barnes_hut", init="pca", learning_rate="auto", random_state=1, n_jobs=2)
emb = sk.fit_transform(reduced)
results.append(("scikit-learn (Barnes-Hut)", time.perf_counter() - start, sk.kl_divergence_, trust(emb)))

from openTSNE import TSNE as OpenTSNE  # noqa: E402

start = time.perf_counter()
ot = OpenTSNE(perplexity=30, n_jobs=2, random_state=1, negative_gradient_method="fft").fit(reduced)
results.append(("openTSNE (FFT)", time.perf_counter() - start, ot.kl_divergence, trust(np.asarray(ot))))

print("\nt-SNE of the first 10,000 test images (PCA to 50), perplexity 30, 1000 iterations")
print(f"{'':26} {'seconds':>8} {'KL':>7} {'trustworthiness (k=10)':>24}")
for name, seconds, kl, tw in results:
    print(f"{name:26} {seconds:8.1f} {kl:7.3f} {tw:24.4f}")
print(f"time ratio Atelier / openTSNE: {results[0][1] / results[2][1]:.2f}")
print(f"trustworthiness Atelier - openTSNE: {results[0][3] - results[2][3]:+.4f}")
sys.stdout.flush()
