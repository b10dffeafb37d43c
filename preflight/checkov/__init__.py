"""checkov over the program: the Terraform plan export (:mod:`.tfplan`, names from
``mapping.json``), the scan of the plans, the repository and the workflows (:mod:`.scan`) and
the coverage doc (:mod:`.coverage`)."""
