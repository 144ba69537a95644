import os


def ensure_directory(path):
    if not os.path.isdir(path):
        os.makedirs(path)
    return path


def save(path, text):
    ensure_directory(os.path.dirname(path))
    with open(path, "w") as f:
        f.write(text)
