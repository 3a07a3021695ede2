"""One LeNet-5 epoch in PyTorch on the CPU, the same setting as bench/lenet_epoch.atl."""
import gzip
import resource
import sys
import time

import numpy as np
import torch
from torch import nn

threads = int(sys.argv[1]) if len(sys.argv) > 1 else 2
data_dir = sys.argv[2] if len(sys.argv) > 2 else "/usr/share/datasets/fashion-mnist"
torch.set_num_threads(threads)
torch.manual_seed(1)


def idx(path, offset):
    with gzip.open(path, "rb") as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)


images = torch.from_numpy(idx(f"{data_dir}/train-images-idx3-ubyte.gz", 16).reshape(-1, 1, 28, 28).astype(np.float32) / 255)
labels = torch.from_numpy(idx(f"{data_dir}/train-labels-idx1-ubyte.gz", 8).astype(np.int64))

net = nn.Sequential(
    nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
    nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10),
)
opt = torch.optim.Adam(net.parameters(), lr=1e-3)
loss_fn = nn.CrossEntropyLoss()

start = time.perf_counter()
order = torch.randperm(len(labels))
total, seen = 0.0, 0
for i in range(0, len(labels), 128):
    idx_batch = order[i : i + 128]
    x, y = images[idx_batch], labels[idx_batch]
    opt.zero_grad()
    loss = loss_fn(net(x), y)
    loss.backward()
    opt.step()
    total += loss.item() * len(y)
    seen += len(y)
elapsed = time.perf_counter() - start
print(f"epoch_seconds {elapsed:.3f}")
print(f"train_loss {total / seen:.4f}")
print(f"peak_rss_mib {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}")
