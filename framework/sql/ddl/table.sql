{#-
  One warehouse table, rendered once per sink with `table` (framework.ddl.TableModel.variables):
  name, description, columns [{name, type, comment}], primary_key {name, columns}, foreign_keys
  [{name, column, table, ref_column}], indexes [{name, columns}], partition_by, location.
  PostgreSQL: the loader runs these statements (one per `;`): CREATE TABLE with its primary key,
  each foreign key as ALTER TABLE (deferrable: checked at the load's commit), CREATE INDEX,
  COMMENT ON. Spark: a table over the published Parquet folder; Spark keeps no constraints.
-#}
{%- macro cols(names) %}{% for n in names %}{{ ident(n) }}{{ ", " if not loop.last }}{% endfor %}{% endmacro %}
-- table: {{ table.name }}{{ " -- " ~ table.description | replace('\n', ' ') if table.description }}
{%- if not table.columns_known %}
-- the columns of {{ table.name }} are known once a run has published it: run the pipeline, then render again
{%- elif dialect == 'postgres' %}
CREATE TABLE {{ rel(table.name) }} (
{%- for c in table.columns %}
    {{ ident(c.name) }} {{ c.type or 'text /* type unknown until the first run */' }}{{ "," if not loop.last or table.primary_key }}
{%- endfor %}
{%- if table.primary_key %}
    CONSTRAINT {{ ident(table.primary_key.name) }} PRIMARY KEY ({{ cols(table.primary_key.columns) }})
{%- endif %}
);
{%- for fk in table.foreign_keys %}
ALTER TABLE {{ rel(table.name) }} ADD CONSTRAINT {{ ident(fk.name) }} FOREIGN KEY ({{ ident(fk.column) }}) REFERENCES {{ rel(fk.table) }} ({{ ident(fk.ref_column) }}) DEFERRABLE INITIALLY DEFERRED;
{%- endfor %}
{%- for ix in table.indexes %}
CREATE INDEX {{ ident(ix.name) }} ON {{ rel(table.name) }} ({{ cols(ix.columns) }});
{%- endfor %}
{%- if table.description %}
COMMENT ON TABLE {{ rel(table.name) }} IS {{ table.comment }};
{%- endif %}
{%- for c in table.columns if c.description %}
COMMENT ON COLUMN {{ rel(table.name) }}.{{ ident(c.name) }} IS {{ c.comment }};
{%- endfor %}
{%- else %}
CREATE TABLE {{ rel(table.name) }} (
{%- for c in table.columns %}
    {{ ident(c.name) }} {{ c.type or 'STRING' }}{{ " COMMENT " ~ c.comment if c.description }}{{ "," if not loop.last }}
{%- endfor %}
)
USING PARQUET
{%- if table.partition_by %}
PARTITIONED BY ({{ cols(table.partition_by) }})
{%- endif %}
{%- if table.location %}
LOCATION {{ table.location_literal }}
{%- endif %}
{%- if table.description %}
COMMENT {{ table.comment }}
{%- endif %};
{%- endif %}
