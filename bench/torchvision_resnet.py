"""Writes the fixtures that check Atelier's ImageNet ResNet against torchvision:
the parameter names and shapes of torchvision's resnet18 (for resnet18(small: false)), and a
narrow ResNet built from torchvision's own BasicBlock with torchvision's module names:
its weights as a state_dict saved by safetensors (I64 batch counters included), 16 real
images, and the avgpool features and logits in evaluation mode.

Run: .bench-venv/bin/python bench/torchvision_resnet.py   (needs torchvision and pillow)
"""
import gzip
import json
import os

import numpy as np
import torch
import torchvision
from safetensors.torch import save_file
from torch import nn
from torchvision.models.resnet import BasicBlock, conv1x1

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "Tests", "Fixtures")
torch.manual_seed(0)

names = {k: list(v.shape) for k, v in torchvision.models.resnet18(num_classes=10).state_dict().items()}
with open(os.path.join(FIXTURES, "resnet18_torchvision_names.json"), "w") as f:
    json.dump(names, f, indent=0, sort_keys=True)


class NarrowResNet(nn.Module):
    """torchvision's ResNet with chosen widths: the same modules, names and forward pass."""

    def __init__(self, blocks, widths, classes, size):
        super().__init__()
        self.size = size
        self.inplanes = widths[0]
        self.conv1 = nn.Conv2d(3, widths[0], 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        for i, (count, width) in enumerate(zip(blocks, widths)):
            setattr(self, f"layer{i + 1}", self._make_layer(width, count, 1 if i == 0 else 2))
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(widths[-1], classes)

    def _make_layer(self, planes, count, stride):
        downsample = None
        if stride != 1 or self.inplanes != planes:
            downsample = nn.Sequential(conv1x1(self.inplanes, planes, stride), nn.BatchNorm2d(planes))
        layers = [BasicBlock(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes
        layers += [BasicBlock(planes, planes) for _ in range(1, count)]
        return nn.Sequential(*layers)

    def features(self, grey):
        x = nn.functional.interpolate(grey, size=(self.size, self.size), mode="bilinear", align_corners=False)
        mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
        std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
        x = (x.repeat(1, 3, 1, 1) - mean) / std
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return torch.flatten(self.avgpool(x), 1)


net = NarrowResNet([2, 2, 1, 1], [4, 8, 8, 16], 10, 64)
with torch.no_grad():
    for module in net.modules():
        if isinstance(module, nn.BatchNorm2d):  # trained-looking statistics, not the identity
            module.running_mean.uniform_(-0.2, 0.2)
            module.running_var.uniform_(0.5, 2.0)
            module.weight.uniform_(0.5, 1.5)
            module.bias.uniform_(-0.2, 0.2)
net.eval()


def idx(name, offset):
    with gzip.open(os.path.join(FIXTURES, name), "rb") as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)


x = torch.from_numpy(idx("t10k-images-idx3-ubyte.gz", 16)[: 16 * 784].reshape(16, 1, 28, 28).astype(np.float32) / 255)
with torch.no_grad():
    features = net.features(x)
    logits = net.fc(features)
save_file({k: v.contiguous() for k, v in net.state_dict().items()},
          os.path.join(FIXTURES, "resnet_narrow_torchvision.safetensors"))
save_file({"x": x, "features": features, "logits": logits},
          os.path.join(FIXTURES, "resnet_narrow_outputs.safetensors"))
print(f"{len(names)} resnet18 names; narrow net: {sum(p.numel() for p in net.parameters())} parameters, "
      f"logits[0] {logits[0, :3].tolist()}")
