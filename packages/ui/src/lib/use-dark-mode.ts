import { useSyncExternalStore } from "react";

// The theme is the `dark` class on <html> (set before paint by index.html, toggled by ThemeToggle);
// components that draw their own colours (the graph) follow it through this store.
function subscribe(onChange: () => void): () => void {
  const observer = new MutationObserver(onChange);
  observer.observe(document.documentElement, { attributes: true, attributeFilter: ["class"] });
  return () => observer.disconnect();
}

const isDark = () => document.documentElement.classList.contains("dark");

export function useDarkMode(): boolean {
  return useSyncExternalStore(subscribe, isDark);
}
