import json
import os

# Inputs arrive typed in $GANTRY_INPUTS, and as strings in INPUT_<NAME>.
with open(os.environ["GANTRY_INPUTS"]) as f:
    inputs = json.load(f)

greeting = f"Hello, {inputs['name']}" + ("!" if inputs["excited"] else ".")
for _ in range(inputs["times"]):
    print(greeting)

with open(os.environ["GANTRY_OUTPUT"], "a") as out:
    out.write(f"greeting={greeting}\n")
