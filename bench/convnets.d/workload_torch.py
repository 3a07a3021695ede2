"""One workload of bench/convnets in PyTorch on the CPU, the same setting as workload.atl.

Usage: workload_torch.py WORKLOAD THREADS [--evaluate]
Prints `seconds`, `images_per_second` and `train_loss` for the bench to read.
"""
import gzip
import sys
import time

import numpy as np
import torch
from torch import nn

workload = sys.argv[1]
threads = int(sys.argv[2])
also_evaluate = "--evaluate" in sys.argv
torch.set_num_threads(threads)
torch.manual_seed(1)
data_dir = "/usr/share/datasets/fashion-mnist"


def idx(name, offset):
    with gzip.open(f"{data_dir}/{name}", "rb") as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)


def images(name):
    return torch.from_numpy(idx(name, 16).reshape(-1, 1, 28, 28).astype(np.float32) / 255)


def labels(name):
    return torch.from_numpy(idx(name, 8).astype(np.int64))


def lenet5():
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))


def keras_cnn():
    # Keras "same" for a 4x4 kernel pads 1 before and 2 after.
    return nn.Sequential(
        nn.ZeroPad2d((1, 2, 1, 2)), nn.Conv2d(1, 64, 4), nn.ReLU(), nn.MaxPool2d(4),
        nn.Conv2d(64, 64, 4), nn.ReLU(), nn.MaxPool2d(2), nn.Dropout(0.6), nn.Flatten(),
        nn.Linear(64 * 2 * 2, 256), nn.ReLU(), nn.Linear(256, 84), nn.ReLU(), nn.Linear(84, 10))


def mlp(widths=(512, 256, 128, 64, 32)):
    layers, fan_in = [nn.Flatten()], 784
    for w in widths:
        layers += [nn.Linear(fan_in, w), nn.ReLU()]
        fan_in = w
    return nn.Sequential(*layers, nn.Linear(fan_in, 10))


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(),
            nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout))
        self.shortcut = nn.Identity()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        return torch.relu(self.body(x) + self.shortcut(x))


def resnet(blocks=(1, 1, 1), widths=(32, 64, 128)):
    layers = [nn.Conv2d(1, widths[0], 3, padding=1, bias=False), nn.BatchNorm2d(widths[0]), nn.ReLU()]
    cin = widths[0]
    for stage, count in enumerate(blocks):
        for b in range(count):
            layers.append(BasicBlock(cin, widths[stage], 2 if stage > 0 and b == 0 else 1))
            cin = widths[stage]
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(cin, 10))


def alexnet_small(width=1.0, dropout=0.5):
    def w(n):
        return max(4, round(n * width))
    return nn.Sequential(
        nn.Conv2d(1, w(96), 3, padding=1), nn.BatchNorm2d(w(96)), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Conv2d(w(96), w(256), 3, padding=1), nn.BatchNorm2d(w(256)), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Conv2d(w(256), w(384), 3, padding=1), nn.ReLU(),
        nn.Conv2d(w(384), w(384), 3, padding=1), nn.ReLU(),
        nn.Conv2d(w(384), w(256), 3, padding=1), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Flatten(), nn.Linear(w(256) * 2 * 2, w(2048)), nn.ReLU(), nn.Dropout(dropout),
        nn.Linear(w(2048), w(2048)), nn.ReLU(), nn.Dropout(dropout), nn.Linear(w(2048), 10))


def sgd_momentum(params):
    return torch.optim.SGD(params, lr=0.01, momentum=0.9)


WORKLOADS = {
    "lenet": (lenet5, lambda p: torch.optim.Adam(p, lr=1e-3), None),
    "keras_cnn": (keras_cnn, lambda p: torch.optim.Adam(p, lr=1e-3), None),
    "mlp": (mlp, lambda p: torch.optim.SGD(p, lr=0.05), None),
    "resnet": (resnet, sgd_momentum, 10000),
    "alexnet_half": (lambda: alexnet_small(0.5), sgd_momentum, 10000),
    "alexnet": (alexnet_small, sgd_momentum, 10000),
    "lenet_inference": (lenet5, None, None),
}

make_net, make_opt, limit = WORKLOADS[workload]
net = make_net()
test_x, test_y = images("t10k-images-idx3-ubyte.gz"), labels("t10k-labels-idx1-ubyte.gz")


def predict(x, batch=1000):
    net.eval()
    with torch.no_grad():
        return torch.cat([torch.softmax(net(x[i:i + batch]), 1) for i in range(0, len(x), batch)])


# One pass over the test set takes well under a tenth of a second: several make the
# figure steadier than the clock's and the scheduler's jitter.
INFERENCE_PASSES = 5

if workload == "lenet_inference":
    predict(test_x[:1000])
    start = time.perf_counter()
    for _ in range(INFERENCE_PASSES):
        predict(test_x)
    seconds = time.perf_counter() - start
    print(f"seconds {seconds:.3f}")
    print(f"images_per_second {INFERENCE_PASSES * len(test_x) / seconds:.1f}")
    sys.exit(0)

train_x, train_y = images("train-images-idx3-ubyte.gz"), labels("train-labels-idx1-ubyte.gz")
if limit:
    train_x, train_y = train_x[:limit], train_y[:limit]
opt = make_opt(net.parameters())
loss_fn = nn.CrossEntropyLoss()
net.train()
start = time.perf_counter()
order = torch.randperm(len(train_y))
total, seen = 0.0, 0
for i in range(0, len(train_y), 128):
    batch = order[i:i + 128]
    x, y = train_x[batch], train_y[batch]
    opt.zero_grad()
    loss = loss_fn(net(x), y)
    loss.backward()
    opt.step()
    total += loss.item() * len(y)
    seen += len(y)
seconds = time.perf_counter() - start
print(f"seconds {seconds:.3f}")
print(f"images_per_second {len(train_y) / seconds:.1f}")
print(f"train_loss {total / seen:.4f}")
if also_evaluate:
    net.eval()
    with torch.no_grad():
        logits = torch.cat([net(test_x[i:i + 1000]) for i in range(0, len(test_x), 1000)])
    predict(test_x)
    print(f"test_acc {(logits.argmax(1) == test_y).float().mean().item():.4f}")
