// jsdom has no layout, so no ResizeObserver; Radix measures elements with one. Nothing resizes in jsdom,
// so an observer that never fires is the faithful stand-in.
class NoResizeObserver {
  observe(): void {}
  unobserve(): void {}
  disconnect(): void {}
}
globalThis.ResizeObserver ??= NoResizeObserver;
