"""Fashion-MNIST: 70,000 Zalando article images, 28x28 grayscale, 10 classes, MNIST's layout.

Offline on Debian/Ubuntu: `apt-get install dataset-fashion-mnist` puts the four IDX .gz files
in /usr/share/datasets/fashion-mnist/, which is searched before the cache.

SHA-256 pins for the download mirrors, stated identically by keras-team/keras
(`keras/src/datasets/fashion_mnist.py`, FILE_HASHES) and tensorflow/datasets
(`tensorflow_datasets/url_checksums/fashion_mnist.txt`, sizes 26421880 / 29515 / 4422102 /
5148 bytes); Zalando's README gives the matching MD5s. Debian's packaged copies hash
differently (their gzip headers were rewritten without the original file name, 23-24 bytes
shorter; the images and labels inside are the same), so they are read from their folder
without a hash check, like any --data-path.
"""

from __future__ import annotations

from optbench.data.info import DATASETS, DatasetInfo, RemoteFile, RemoteSource
from optbench.data.mnist_format import read_mnist_format

FASHION_MNIST_CLASSES = (
    "t-shirt",
    "trouser",
    "pullover",
    "dress",
    "coat",
    "sandal",
    "shirt",
    "sneaker",
    "bag",
    "ankle-boot",
)
# Other spellings people use (matched after dropping case, spaces and punctuation).
FASHION_MNIST_ALIASES = {
    "t-shirt/top": "t-shirt",
    "top": "t-shirt",
    "tee": "t-shirt",
    "t-shirts": "t-shirt",
    "trousers": "trouser",
    "pants": "trouser",
    "pullovers": "pullover",
    "sweater": "pullover",
    "dresses": "dress",
    "coats": "coat",
    "sandals": "sandal",
    "shirts": "shirt",
    "sneakers": "sneaker",
    "bags": "bag",
    "ankle-boots": "ankle-boot",
    "boot": "ankle-boot",
    "boots": "ankle-boot",
}

FASHION_MNIST_IDX = RemoteSource(
    label="Fashion-MNIST IDX files",
    format="idx",
    mirrors=(
        "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
        "https://storage.googleapis.com/tensorflow/tf-keras-datasets/",
    ),
    files=(
        RemoteFile(
            "train-images-idx3-ubyte.gz",
            "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
        ),
        RemoteFile(
            "train-labels-idx1-ubyte.gz",
            "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
        ),
        RemoteFile(
            "t10k-images-idx3-ubyte.gz",
            "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
        ),
        RemoteFile(
            "t10k-labels-idx1-ubyte.gz",
            "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
        ),
    ),
)

DEBIAN_DIR = "/usr/share/datasets/fashion-mnist"

FASHION_MNIST = DATASETS.register(
    "fashion-mnist",
    DatasetInfo(
        name="fashion-mnist",
        description="Zalando article images in 10 classes, 28x28 grayscale; "
        "60,000 train / 10,000 test. A harder drop-in for MNIST.",
        reference="Xiao, Rasul & Vollgraf (2017), Fashion-MNIST: a Novel Image Dataset for "
        "Benchmarking Machine Learning Algorithms. arXiv:1708.07747",
        num_classes=10,
        input_shape=(28, 28),
        class_names=FASHION_MNIST_CLASSES,
        raw_range=(0.0, 255.0),
        needs_download=True,
        read=read_mnist_format,
        split="official: first 60,000 (train files) / 10,000 (t10k files)",
        sources=(FASHION_MNIST_IDX,),
        local_dirs=(DEBIAN_DIR,),
        class_aliases=FASHION_MNIST_ALIASES,
        tags=("image", "grayscale", "10-class"),
    ),
)
