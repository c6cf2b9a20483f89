// placeholder: the clock (helper "clock" writes it)
