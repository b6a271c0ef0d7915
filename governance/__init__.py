"""The management system's own records (clauses 4 to 7 and 9.1): controlled documents, context,
interested parties and obligations, scope, AI policy, AIMS roles and competence, communication,
objectives and measurements."""
