import { Link } from "react-router";
import { PageHeader } from "@/components/page-header";

export function NotFoundPage() {
  return (
    <>
      <PageHeader title="Not found" description="There is no page at this address." />
      <Link className="text-sm underline" to="/">
        Back to the dashboard
      </Link>
    </>
  );
}
