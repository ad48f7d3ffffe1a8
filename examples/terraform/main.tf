# A configuration that needs no provider download: terraform_data is built into Terraform (1.4+) and
# OpenTofu. Replace it with real infrastructure.
variable "environment" {
  type = string
}

resource "terraform_data" "release" {
  input = "example release for ${var.environment}"
}

output "release" {
  value = terraform_data.release.output
}
