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
    args = [ATELIER, "run", "--no-cache", os.path.join(HERE, notebook)] + [f"--set={s}" for s in settings]
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

# ---- t-SNE, UMAP, neighbours: trustworthiness (k = 10) by scikit-learn on the same
# 5,000-point subset for every method, in the space of scikit-learn's PCA to 50 ----
from openTSNE import TSNE as OpenTSNE  # noqa: E402

test = idx("t10k-images-idx3-ubyte.gz", 16).reshape(10000, 784).astype(np.float32) / 255
train_labels = idx("train-labels-idx1-ubyte.gz", 8)
test_labels = idx("t10k-labels-idx1-ubyte.gz", 8)


def trust_in(reduced):
    subset = np.random.default_rng(0).choice(len(reduced), 5000, replace=False)
    return lambda embedding: trustworthiness(reduced[subset], embedding[subset], n_neighbors=10)


def atelier_map(notebook, *settings, out="/tmp/atelier-map.csv"):
    result = atelier(notebook, f"out={out}", *settings)
    return result, np.loadtxt(out, delimiter=",", skiprows=1, usecols=(0, 1))


def tsne_rows(images, split, n, with_barnes_hut):
    reduced = PCA(n_components=50, random_state=0).fit_transform(images)
    trust = trust_in(reduced)
    rows = []
    out, ours = atelier_map("tsne.atl", f"split={split}", f"n={n}")
    rows.append(("Atelier (auto: FFT)", float(out["tsne_seconds"][0]), float(out["tsne_kl"][0]), trust(ours)))
    if with_barnes_hut:
        out, ours = atelier_map("tsne.atl", f"split={split}", f"n={n}", "method=bh")
        rows.append(("Atelier (Barnes-Hut)", float(out["tsne_seconds"][0]), float(out["tsne_kl"][0]), trust(ours)))
    start = time.perf_counter()
    ot = OpenTSNE(perplexity=30, n_jobs=2, random_state=1, negative_gradient_method="fft").fit(reduced)
    rows.append(("openTSNE (FFT)", time.perf_counter() - start, ot.kl_divergence, trust(np.asarray(ot))))
    return rows


def print_tsne(title, rows):
    print(f"\n{title}")
    print(f"{'':26} {'seconds':>8} {'KL':>7} {'trustworthiness (k=10)':>24}")
    for name, seconds, kl, tw in rows:
        print(f"{name:26} {seconds:8.1f} {kl:7.3f} {tw:24.4f}")
    print(f"time ratio Atelier / openTSNE: {rows[0][1] / rows[-1][1]:.2f}")
    print(f"trustworthiness Atelier - openTSNE: {rows[0][3] - rows[-1][3]:+.4f}")
    sys.stdout.flush()


print_tsne(
    "t-SNE of the 10,000 test images (PCA to 50), perplexity 30, 1000 iterations",
    tsne_rows(test, "test", 10000, with_barnes_hut=True),
)
print_tsne(
    "t-SNE of the 60,000 training images (PCA to 50), perplexity 30, 1000 iterations",
    tsne_rows(train, "train", 60000, with_barnes_hut=False),
)

# ---- UMAP of the training images, the test images placed into the map ----
import umap  # noqa: E402
from sklearn.neighbors import KNeighborsClassifier  # noqa: E402

reducer_pca = PCA(n_components=50, random_state=0).fit(train)
train_reduced, test_reduced = reducer_pca.transform(train), reducer_pca.transform(test)
trust = trust_in(train_reduced)


def placed_accuracy(train_map, test_map):
    return KNeighborsClassifier(n_neighbors=10).fit(train_map, train_labels).score(test_map, test_labels)


out, ours = atelier_map("umap.atl", "placed=/tmp/atelier-placed.csv")
placed = np.loadtxt("/tmp/atelier-placed.csv", delimiter=",", skiprows=1, usecols=(0, 1))
umap_rows = [("Atelier", float(out["umap_seconds"][0]), trust(ours), float(out["transform_seconds"][0]),
              placed_accuracy(ours, placed))]
# umap-learn compiles its numba code on the first run: the second is timed. No random_state,
# so that its layout runs on both threads.
for run in range(2):
    start = time.perf_counter()
    reducer = umap.UMAP(n_neighbors=15, min_dist=0.1, n_jobs=2)
    theirs = reducer.fit_transform(train_reduced)
    fit_seconds = time.perf_counter() - start
    start = time.perf_counter()
    theirs_placed = reducer.transform(test_reduced)
    transform_seconds = time.perf_counter() - start
umap_rows.append(("umap-learn (second run)", fit_seconds, trust(theirs), transform_seconds,
                  placed_accuracy(theirs, theirs_placed)))
print("\nUMAP of the 60,000 training images (PCA to 50), k 15, min_dist 0.1; the 10,000 test images placed by transform")
print(f"{'':26} {'seconds':>8} {'trustworthiness':>16} {'transform s':>12} {'placed kNN acc':>15}")
for name, seconds, tw, transform_s, accuracy in umap_rows:
    print(f"{name:26} {seconds:8.1f} {tw:16.4f} {transform_s:12.1f} {accuracy:15.4f}")
print(f"time ratio Atelier / umap-learn: {umap_rows[0][1] / umap_rows[1][1]:.2f}")
print(f"trustworthiness Atelier - umap-learn: {umap_rows[0][2] - umap_rows[1][2]:+.4f}")
print(f"placed kNN accuracy Atelier - umap-learn: {umap_rows[0][4] - umap_rows[1][4]:+.4f}")
sys.stdout.flush()

# ---- nearest neighbours: approximate against exact ----
out = atelier("neighbors.atl", "exact=/tmp/atelier-exact.csv", "approx=/tmp/atelier-approx.csv")
exact = np.loadtxt("/tmp/atelier-exact.csv", delimiter=",").astype(np.int64)
approx = np.loadtxt("/tmp/atelier-approx.csv", delimiter=",").astype(np.int64)
recall = np.mean([len(set(a) & set(e)) / len(e) for a, e in zip(approx, exact)])
print("\n15 nearest neighbours of each of the 60,000 training images (PCA to 50)")
print(f"exact {float(out['exact_seconds'][0]):.2f} s, approximate {float(out['approx_seconds'][0]):.2f} s, recall {recall:.4f}")
