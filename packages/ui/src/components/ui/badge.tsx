import { cva, type VariantProps } from "class-variance-authority";
import type * as React from "react";
import { cn } from "@/lib/utils";

const badgeVariants = cva(
  "inline-flex items-center gap-1 rounded-md border px-2 py-0.5 text-xs font-medium whitespace-nowrap",
  {
    variants: {
      variant: {
        default: "border-transparent bg-primary text-primary-foreground",
        secondary: "border-transparent bg-secondary text-secondary-foreground",
        outline: "text-foreground",
        // Text a shade darker (lighter in dark mode) than the tint, for WCAG AA contrast (4.5:1).
        success: "border-transparent bg-success/15 text-green-800 dark:text-green-300",
        destructive: "border-transparent bg-destructive/15 text-red-800 dark:text-red-300",
        warning: "border-transparent bg-warning/20 text-amber-900 dark:text-amber-200",
        info: "border-transparent bg-info/15 text-blue-800 dark:text-blue-300",
      },
    },
    defaultVariants: { variant: "default" },
  },
);

export type BadgeVariant = NonNullable<VariantProps<typeof badgeVariants>["variant"]>;

export function Badge({
  className,
  variant,
  ...props
}: React.ComponentProps<"span"> & VariantProps<typeof badgeVariants>) {
  return <span className={cn(badgeVariants({ variant }), className)} {...props} />;
}
