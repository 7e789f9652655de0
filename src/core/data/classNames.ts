/** Class names of the datasets whose files do not carry them. */
export const FASHION_MNIST_CLASSES = [
  'T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot',
];

export const CIFAR10_CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];

/** '0', '1', … for formats without names (also MNIST's digits). */
export function numberedClasses(n: number): string[] {
  return Array.from({ length: n }, (_, i) => String(i));
}

/** Known names when they fit, else numbers; extra classes beyond the known names are numbered. */
export function classNamesFor(known: string[] | undefined, numClasses: number): string[] {
  if (!known || numClasses > known.length) return numberedClasses(numClasses);
  return known.slice(0, numClasses);
}
