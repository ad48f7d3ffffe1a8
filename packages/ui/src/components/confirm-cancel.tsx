import { Ban } from "lucide-react";
import { useState } from "react";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogTitle } from "@/components/ui/dialog";

/** Cancel, asked twice: a click that stops running steps deserves a second look. */
export function ConfirmCancel({
  workflow,
  disabled,
  onConfirm,
}: {
  workflow: string;
  disabled?: boolean;
  onConfirm: () => void;
}) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <Button variant="destructive" onClick={() => setOpen(true)} disabled={disabled}>
        <Ban aria-hidden />
        Cancel
      </Button>
      <Dialog open={open} onOpenChange={setOpen}>
        <DialogContent className="p-6">
          <DialogTitle className="text-lg font-semibold">Cancel this run of {workflow}?</DialogTitle>
          <DialogDescription className="mt-2 text-sm text-muted-foreground">
            Running steps are stopped; steps with <code>always()</code> still run their clean-up.
          </DialogDescription>
          <div className="mt-6 flex justify-end gap-2">
            <Button variant="outline" onClick={() => setOpen(false)} autoFocus>
              Keep running
            </Button>
            <Button
              variant="destructive"
              onClick={() => {
                setOpen(false);
                onConfirm();
              }}
            >
              Cancel run
            </Button>
          </div>
        </DialogContent>
      </Dialog>
    </>
  );
}
