"""Checks one screen of the prompt scenario: python3 check_screen.py WHAT SCREEN_FILE."""
import re
import sys

CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


def cube(n):
    """The (r, g, b) steps 0..5 of a 256-colour cube entry."""
    n -= 16
    return n // 36, (n // 6) % 6, n % 6


def main(what, path):
    raw = open(path, encoding="utf-8", errors="replace").read()
    plain = re.sub(r"\x1b\[[0-9;]*m", "", raw)
    lines = plain.split("\n")
    problems = []

    def need(condition, message):
        if not condition:
            problems.append(message)

    colours = [int(n) for n in re.findall(r"\x1b\[[34]8;5;(\d+)m", raw)]
    if what == "images":
        need(plain.count("▀") >= 8 * 28 * 14, f"{plain.count('▀')} half-block cells for 8 images of 28×28")
        need(len(set(colours)) >= 8, f"{len(set(colours))} grey levels")
        need("Ankle boot" in plain and "Pullover" in plain, "captions with class names")
    elif what == "first-fit":
        need("epoch 1/2" in plain and "epoch 2/2" in plain, "epochs 1/2 and 2/2")
    elif what == "scatter":
        inside = "".join(
            line[line.index("|") + 1 : line.rindex("|")] for line in lines if line.count("|") >= 2
        )
        glyphs = set(c for c in inside if c.isdigit())
        need(len(glyphs) >= 10, f"{len(glyphs)} class glyphs in the plot area: {sorted(glyphs)}")
        for k, name in enumerate(CLASSES):
            need(re.search(rf"{k} {re.escape(name)}\s+{k}\b", plain), f"key line for {k} {name}")
        need(len(set(colours)) >= 10, f"{len(set(colours))} colours for 10 classes")
    elif what == "filters":
        steps = [cube(n) for n in colours if 16 <= n < 232]
        need(any(b > r for r, g, b in steps), "blue cells for negative weights")
        need(any(r > b for r, g, b in steps), "red cells for positive weights")
    elif what == "misclassified":
        need(plain.count("→") >= 6, f"{plain.count('→')} captions 'true → predicted'")
    elif what == "continued-fit":
        need("epoch 3/3" in plain, "the continued fit's epoch 3/3")
    elif what == "histories":
        need("run 1 train" in plain and "run 2 train" in plain, "both runs in the key")
        need("run 2 validation" in plain, "the second run's validation curve")
    elif what == "recalled":
        text = "\n".join(l.rstrip() for l in lines)
        need(
            "atelier> small = model {\nconv 6, 5, pad: 2; relu; maxpool 2\nflatten; dense 10\n}" in text,
            "one Up recalls the whole model { … } entry",
        )
    else:
        problems.append(f"unknown check {what}")
    if problems:
        print(f"screen '{what}' is not as expected: " + "; ".join(problems))
        print(plain)
        sys.exit(1)


main(sys.argv[1], sys.argv[2])
