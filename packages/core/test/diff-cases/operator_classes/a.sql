create function rev_cmp(a int4, b int4) returns int4 language sql immutable as $$ select btint4cmp(b, a) $$;
create operator class int4_rev_ops for type int4 using btree as
  operator 1 >, operator 2 >=, operator 3 =, operator 4 <=, operator 5 <, function 1 rev_cmp(int4, int4);
create table t (id int, n int);
create index t_n_rev on t (n int4_rev_ops);
create operator family text_fam using hash;
