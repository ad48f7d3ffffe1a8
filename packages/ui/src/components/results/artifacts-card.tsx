import { useQuery } from "@tanstack/react-query";
import { Download } from "lucide-react";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { endpoints, FINISHED, type RunDetail } from "@/lib/api";
import { formatBytes, formatTime } from "@/lib/format";

/** The artifacts the run uploaded, each with a download link (a .tar.gz of its files). */
export function ArtifactsCard({ run }: { run: RunDetail }) {
  const artifacts = useQuery({
    queryKey: ["artifacts", run.id],
    queryFn: () => endpoints.artifacts(run.id),
    refetchInterval: FINISHED.has(run.status) ? false : 3000,
  });
  const list = artifacts.data?.artifacts ?? [];
  if (list.length === 0) return null;
  return (
    <Card className="mt-4">
      <CardHeader>
        <CardTitle>Artifacts</CardTitle>
      </CardHeader>
      <CardContent>
        <Table aria-label="Artifacts">
          <TableHeader>
            <TableRow>
              <TableHead>Name</TableHead>
              <TableHead>Step</TableHead>
              <TableHead className="text-right">Files</TableHead>
              <TableHead className="text-right">Size</TableHead>
              <TableHead>SHA-256</TableHead>
              <TableHead>Expires</TableHead>
            </TableRow>
          </TableHeader>
          <TableBody>
            {list.map((a) => (
              <TableRow key={a.name} data-artifact={a.name}>
                <TableCell>
                  <a
                    className="inline-flex items-center gap-1 font-medium underline"
                    href={a.download_url}
                    download
                  >
                    <Download className="size-3.5" aria-hidden />
                    {a.name}
                  </a>
                </TableCell>
                <TableCell className="font-mono text-xs">{a.step}</TableCell>
                <TableCell className="text-right tabular-nums">{a.files}</TableCell>
                <TableCell className="text-right tabular-nums">{formatBytes(a.size)}</TableCell>
                <TableCell className="font-mono text-xs" title={a.sha256}>
                  {a.sha256.slice(0, 12)}
                </TableCell>
                <TableCell>{a.expires_at ? formatTime(a.expires_at) : "never"}</TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      </CardContent>
    </Card>
  );
}
