import { fileURLToPath } from "node:url";
import tailwindcss from "@tailwindcss/vite";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// `npm run dev -w packages/ui` proxies the API to a `gantry up` on its default port.
export default defineConfig({
  plugins: [react(), tailwindcss()],
  resolve: { alias: { "@": fileURLToPath(new URL("./src", import.meta.url)) } },
  server: {
    proxy: { "/api": { target: "http://127.0.0.1:8080", ws: true }, "/auth": "http://127.0.0.1:8080" },
  },
  // The manifest lets the benchmark weigh exactly what the first page loads.
  build: { outDir: "dist", emptyOutDir: true, manifest: true, chunkSizeWarningLimit: 600 },
});
