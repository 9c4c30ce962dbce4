DROP TABLE transparency_heads;
DROP TABLE transparency_leaves;
