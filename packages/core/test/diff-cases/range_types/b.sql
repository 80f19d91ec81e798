create type floatrange as range (subtype = float8, subtype_diff = float8mi);
create type version_range as range (subtype = int4, multirange_type_name = version_ranges);
create table spans (id int primary key, span floatrange default '[0,1)', many floatmultirange, history floatrange[], versions version_range);
create function span_width(s floatrange) returns float8 language sql immutable as $$ select upper(s) - lower(s) $$;
create view span_widths as select id, span_width(span) as width from spans where span && floatrange(0, 10);
comment on type version_range is 'supported versions';
