"""Writes the PyTorch cross-check fixtures under Tests/Fixtures: for LeNet-5 and for a
small net with batch norm, average pooling and residual blocks, the seeded initial
weights, one real input batch, the logits, the loss, every gradient, the running
statistics after the forward pass, and the weights after one SGD and one Adam step.
Parameter names follow Atelier's layer names, so the files load by name.

Run: .bench-venv/bin/python bench/crosscheck_torch.py
"""
import gzip
import os

import numpy as np
import torch
from safetensors.torch import save_file
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "Tests", "Fixtures")
torch.manual_seed(0)


def idx(name, offset):
    with gzip.open(os.path.join(FIXTURES, name), "rb") as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)


x = torch.from_numpy(idx("train-images-idx3-ubyte.gz", 16)[: 16 * 784].reshape(16, 1, 28, 28).astype(np.float32) / 255)
y = torch.from_numpy(idx("train-labels-idx1-ubyte.gz", 8)[:16].astype(np.int64))


class LeNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.dense1 = nn.Linear(400, 120)
        self.fc2 = nn.Linear(120, 84)
        self.dense3 = nn.Linear(84, 10)

    def forward(self, x):
        x = nn.functional.max_pool2d(torch.relu(self.conv1(x)), 2)
        x = nn.functional.max_pool2d(torch.relu(self.conv2(x)), 2)
        x = torch.flatten(x, 1)
        return self.dense3(torch.relu(self.fc2(torch.relu(self.dense1(x)))))


class Block(nn.Module):
    """A residual block with torchvision's BasicBlock names, without the ReLU after the sum."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if cin != cout or stride != 1:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        body = self.bn2(self.conv2(torch.relu(self.bn1(self.conv1(x)))))
        return body + (self.downsample(x) if self.downsample is not None else x)


class Small(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(8)
        self.residual1 = Block(8, 8, 1)
        self.residual2 = Block(8, 16, 2)
        self.dense1 = nn.Linear(16, 10)

    def forward(self, x):
        x = nn.functional.avg_pool2d(torch.relu(self.bn1(self.conv1(x))), 2)
        x = self.residual2(self.residual1(x))
        return self.dense1(x.mean(dim=(2, 3)))


def fixture(net, path):
    net.train()
    tensors = {}
    for name, t in net.state_dict().items():
        if not name.endswith("num_batches_tracked"):
            tensors["w." + name] = t.clone().float()
    logits = net(x)
    loss = nn.functional.cross_entropy(logits, y)
    loss.backward()
    tensors["x"] = x
    tensors["y"] = y.float()
    tensors["logits"] = logits.detach()
    tensors["loss"] = loss.detach().reshape(1)
    for name, p in net.named_parameters():
        tensors["g." + name] = p.grad.clone()
    for name, t in net.state_dict().items():
        if "running" in name:
            tensors["running." + name] = t.clone()
    initial = {n: p.detach().clone() for n, p in net.named_parameters()}
    grads = {n: p.grad.clone() for n, p in net.named_parameters()}
    for label, make in [
        ("sgd", lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9, weight_decay=1e-3)),
        ("adam", lambda ps: torch.optim.Adam(ps, lr=1e-3)),
    ]:
        with torch.no_grad():
            for n, p in net.named_parameters():
                p.copy_(initial[n])
                p.grad = grads[n].clone()
        opt = make(list(net.parameters()))
        opt.step()
        for n, p in net.named_parameters():
            tensors[f"{label}.{n}"] = p.detach().clone()
    save_file({k: v.contiguous() for k, v in tensors.items()}, path)
    print(f"{path}: loss {loss.item():.6f}, {len(tensors)} tensors")


fixture(LeNet(), os.path.join(FIXTURES, "crosscheck_lenet.safetensors"))
fixture(Small(), os.path.join(FIXTURES, "crosscheck_small.safetensors"))
