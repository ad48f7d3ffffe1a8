// filled in with the schema module
