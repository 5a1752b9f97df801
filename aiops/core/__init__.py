"""What every domain uses: the exit-code table (:mod:`~aiops.core.errors`), the one settings table
(:mod:`~aiops.core.config`), HTTP (:mod:`~aiops.core.http`), time windows
(:mod:`~aiops.core.timewindow`), atomic files (:mod:`~aiops.core.fsutil`) and small statistics
(:mod:`~aiops.core.stats`). Nothing here imports a domain package.
"""
