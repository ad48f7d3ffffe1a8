// An S3 server for the service workloads whose server and workers must share the log archive.

export const S3_BUCKET = "gantry-logs";

/** An S3 server (s3rver, a dev dependency) on a free port, keeping its objects in `dir`. */
export async function startS3(dir) {
  const { default: S3rver } = await import("s3rver");
  const server = new S3rver({
    port: 0,
    address: "127.0.0.1",
    silent: true,
    directory: dir,
    configureBuckets: [{ name: S3_BUCKET }],
  });
  const address = await server.run();
  return {
    port: address.port,
    async close() {
      server.httpServer.closeAllConnections();
      await server.close();
    },
  };
}

/** The roles' config lines and this process's credentials for `s3` (inherited by the roles it starts). */
export function useS3(s3) {
  process.env.AWS_ACCESS_KEY_ID = "S3RVER";
  process.env.AWS_SECRET_ACCESS_KEY = "S3RVER";
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
  return `logs: {s3: {bucket: ${S3_BUCKET}, endpoint: "http://127.0.0.1:${s3.port}", force_path_style: true}}\n`;
}
